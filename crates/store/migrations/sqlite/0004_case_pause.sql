-- Time left on a state's clock while it is paused (听证 is not counted in 复查/复核 limits).
ALTER TABLE cases ADD COLUMN paused_remaining_ms INTEGER;
