-- Parties may be organisations, identified by their 统一社会信用代码 (public business data).
ALTER TABLE case_parties ADD COLUMN uscc TEXT;
