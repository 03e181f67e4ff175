// An ordinary case through the 综治中心 console, the way staff do it: the intake operator
// registers a 窗口来访 report (double-clicking the button must still make one case) and 立案s
// it; the dispatcher finds it in the queue by keyboard and dispatches it to the department;
// the handler takes it, reports back; the intake operator verifies (核查结案) and evaluates.
// The workflow is `general` from data/workflows/default.toml.

import { fileURLToPath } from "node:url";

const PHOTO = fileURLToPath(new URL("../fixtures/photo.png", import.meta.url));

async function openAction(page, name) {
  await page.locator("section.actions summary", { hasText: new RegExp(`^${name}$`) }).click();
  return page.locator("section.actions details[open] form");
}

async function fire(page, name, fill = async () => {}) {
  const form = await openAction(page, name);
  await fill(form);
  await form.locator("button[type=submit]").click();
  await page.locator("#notice .alert.ok", { hasText: `已${name}` }).waitFor();
}

async function facts(page, key) {
  const dt = page.locator("dl.kv dt", { hasText: new RegExp(`^${key}$`) }).first();
  return (await dt.locator("xpath=following-sibling::dd[1]").textContent()).trim();
}

export default async function (ctx) {
  const { assert, baseUrl } = ctx;
  const title = `东华路路灯不亮（E2E ${Date.now()}）`;

  // 1. Intake: the form, a double click, one case.
  const intake = await ctx.newPage();
  await ctx.login(intake, "intake");
  await intake.goto(`${baseUrl}/ui/ops/intake.html`);
  await intake.selectOption("#source", "walk_in");
  await intake.selectOption("#type", "general");
  await intake.selectOption("#category", "facilities.street_light");
  await intake.fill("#title", title);
  await intake.fill("#description", "东华路18号至24号路灯连续三晚不亮，老人夜间出行不便。");
  await intake.fill("#address", "沤江镇东华路18号");
  await intake.selectOption('#region-box select[data-level="0"]', "431027000000");
  await intake.selectOption('#region-box select[data-level="1"]', "431027100000");
  await intake.selectOption('#region-box select[data-level="2"]', "431027100001");
  await intake.fill("#reporter_name", "李大爷");
  await intake.fill("#reporter_phone", "13807351234");
  // A server error appears beside its field: a bad phone number first.
  await intake.fill("#reporter_phone", "12345");
  await intake.click("#submit");
  await intake.locator("#reporter_phone + .field-error").waitFor();
  await intake.fill("#reporter_phone", "13807351234");
  await intake.setInputFiles("#files", PHOTO);
  await ctx.screenshot(intake, "intake");
  await intake.dblclick("#submit");
  const created = intake.locator("#result a[href^='/ui/ops/case.html']").first();
  await created.waitFor();
  assert.match(await intake.locator("#result").textContent(), /已上传附件 1 个/);
  const href = await created.getAttribute("href");
  const id = Number(new URL(href, baseUrl).searchParams.get("id"));
  assert.ok(id > 0, "the new case links to its page");
  const found = await intake.evaluate(async (t) => {
    const r = await fetch(`/api/v1/cases?q=${encodeURIComponent(t)}&per_page=100`);
    return (await r.json()).items.filter((c) => c.title === t).length;
  }, title);
  assert.equal(found, 1, "a double click makes exactly one case");

  await created.click();
  await intake.waitForURL(/case\.html/);
  assert.equal(await facts(intake, "状态"), "信息收集");
  assert.match(await facts(intake, "反映人"), /138\*{4}1234/, "the phone is shown masked");
  await intake.locator("#att-h", { hasText: "附件（1）" }).waitFor();
  const photo = await intake.locator("section a[href^='/api/v1/attachments/']").getAttribute("href");
  const type = await intake.evaluate(async (u) => (await fetch(u)).headers.get("content-type"), photo);
  assert.equal(type, "image/png", "the photo sent with the form is attached");
  await fire(intake, "立案");
  assert.equal(await facts(intake, "状态"), "案卷建立");

  // 2. Dispatcher: the queue, by keyboard, then 派遣 to the department handler.
  const disp = await ctx.newPage();
  await ctx.login(disp, "dispatcher");
  await disp.goto(`${baseUrl}/ui/ops/queue.html?f=1&open=true&state=registered&q=${encodeURIComponent(title)}`);
  await disp.locator("#queue tbody tr").first().waitFor();
  assert.equal(await disp.locator("#queue tbody tr").count(), 1);
  assert.equal(await disp.inputValue("#q"), title, "the filters come back from the URL");
  await ctx.screenshot(disp, "queue");
  // n / p page through the whole queue (the demo has more than one page of cases).
  await disp.goto(`${baseUrl}/ui/ops/queue.html?f=1&per_page=20`);
  await disp.locator("#queue tbody tr").first().waitFor();
  await disp.locator("body").press("n");
  await disp.waitForURL(/page=2/);
  await disp.locator("#queue tbody tr").first().waitFor();
  assert.match(await disp.locator("#summary").textContent(), /第 2 /);
  await disp.locator("body").press("p");
  await disp.waitForURL(/page=1/);
  await disp.goto(`${baseUrl}/ui/ops/queue.html?f=1&open=true&state=registered&q=${encodeURIComponent(title)}`);
  await disp.locator("#queue tbody tr").first().waitFor();
  await disp.locator("body").press("j");
  assert.equal(await disp.locator("#queue tbody tr.selected").count(), 1, "j selects a row");
  await disp.keyboard.press("Enter");
  await disp.waitForURL(/case\.html\?id=/);
  assert.equal(new URL(disp.url()).searchParams.get("id"), String(id));
  // The unmasked phone, for this view only, after a reason (audited by the API).
  await disp.getByRole("button", { name: "查看完整电话和身份证号" }).click();
  await disp.fill("#reveal-reason", "电话联系反映人核实地点");
  await disp.locator("dialog form button[type=submit]").click();
  await disp.locator("dialog dd", { hasText: "13807351234" }).waitFor();
  await disp.locator("dialog button", { hasText: "关闭" }).click();
  // The dialog leaves on its close event, one task after the click.
  await disp.locator("dialog").waitFor({ state: "detached", timeout: 10_000 });
  assert.equal(await disp.locator("dialog").count(), 0, "the dialog is gone with the number");
  await fire(disp, "派遣", async (form) => {
    const select = form.locator("select[name=assignee]");
    await select.locator("option", { hasText: "县住建局处置人员" }).waitFor({ state: "attached" });
    const value = await select.locator("option", { hasText: "县住建局处置人员" }).getAttribute("value");
    await select.selectOption(value);
  });
  assert.equal(await facts(disp, "状态"), "任务派遣");
  assert.equal(await facts(disp, "承办人"), "县住建局处置人员");

  // A stale page is refused with a clear message rather than overwriting (version check).
  const stale = await ctx.newPage();
  await ctx.login(stale, "dispatcher");
  await stale.goto(`${baseUrl}/ui/ops/case.html?id=${id}`);
  await stale.locator("section.actions summary", { hasText: /^督办$/ }).waitFor();

  // 3. Handler: their own queue, 接收, 处理反馈.
  const handler = await ctx.newPage();
  await ctx.login(handler, "handler");
  await handler.goto(`${baseUrl}/ui/ops/queue.html?f=1&open=true&assignee=me&q=${encodeURIComponent(title)}`);
  await handler.locator(`#queue a[href="/ui/ops/case.html?id=${id}"]`).first().click();
  await handler.waitForURL(/case\.html/);
  await fire(handler, "接收");
  assert.equal(await facts(handler, "状态"), "任务处理");

  const form = await openAction(stale, "督办");
  await form.locator("textarea[name=note]").fill("请尽快修复");
  await form.locator("button[type=submit]").click();
  await stale.locator("#notice .alert.error", { hasText: "刚被他人更新" }).waitFor();

  await fire(handler, "处理反馈", (f) => f.locator("textarea[name=note]").fill("已更换灯泡和线路，路灯恢复照明。"));
  assert.equal(await facts(handler, "状态"), "处理反馈");

  // 4. Intake: 核查结案 (closes it), then 综合评价.
  await intake.reload();
  await fire(intake, "核查结案");
  assert.equal(await facts(intake, "状态"), "核查结案");
  assert.notEqual(await facts(intake, "办结时间"), "—");
  await fire(intake, "综合评价", (f) => f.locator("textarea[name=note]").fill("按时办结，群众满意。"));
  assert.match(await facts(intake, "状态"), /综合评价/);
  const steps = await intake.locator("table.timeline tbody tr").count();
  assert.ok(steps >= 7, `the timeline shows every step (${steps})`);
  await ctx.screenshot(intake, "case");

  // At 200% zoom (half the CSS width) the pages reflow: nothing wider than the window.
  for (const url of [`/ui/ops/queue.html`, `/ui/ops/intake.html`, `/ui/ops/case.html?id=${id}`]) {
    await intake.setViewportSize({ width: 640, height: 800 });
    await intake.goto(`${baseUrl}${url}`);
    await intake.locator("header.top").waitFor();
    await intake.waitForLoadState("networkidle");
    const overflow = await intake.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${url} at 640px is ${overflow}px wider than the window`);
  }
  await ctx.screenshot(intake, "case-zoom-200");

  // 5. The mediation file of a demo dispute, as the mediator sees it.
  const med = await ctx.newPage();
  await ctx.login(med, "mediator");
  await med.goto(`${baseUrl}/ui/mediation/`);
  const first = med.locator("#disputes tbody a[href*='dispute.html']").first();
  await first.waitFor();
  await first.click();
  await med.locator("#file h1").waitFor();
  await ctx.screenshot(med, "mediation-file");

  // 6. A 12345 order: the channel picks its workflow; 延期 asks days; 回访 asks satisfaction.
  const hotline = `热线：夜间施工噪声（E2E ${Date.now()}）`;
  await intake.setViewportSize({ width: 1280, height: 900 });
  await intake.goto(`${baseUrl}/ui/ops/intake.html`);
  await intake.selectOption("#source", "hotline_12345");
  assert.equal(await intake.inputValue("#type"), "hotline_12345", "the channel chooses the 12345 workflow");
  await intake.selectOption("#category", "environment.noise");
  await intake.fill("#title", hotline);
  await intake.selectOption('#region-box select[data-level="0"]', "431027000000");
  await intake.selectOption('#region-box select[data-level="1"]', "431027100000");
  await intake.click("#submit");
  const order = intake.locator("#result a[href^='/ui/ops/case.html']").first();
  await order.waitFor();
  const orderUrl = `${baseUrl}${await order.getAttribute("href")}`;
  await disp.goto(orderUrl);
  await fire(disp, "派单", async (f) => {
    const s = f.locator("select[name=assignee]");
    await s.locator("option", { hasText: "县住建局处置人员" }).waitFor({ state: "attached" });
    await s.selectOption(await s.locator("option", { hasText: "县住建局处置人员" }).getAttribute("value"));
  });
  await handler.goto(orderUrl);
  await fire(handler, "签收");
  await fire(handler, "延期申请", async (f) => {
    await f.locator("[name=reason]").fill("需协调环保部门夜间检测");
    await f.locator("[name=extension_days]").fill("3");
  });
  await disp.reload();
  await fire(disp, "同意延期", async (f) => {
    await f.locator("[name=reason]").fill("同意，请按期答复");
    await f.locator("[name=extension_days]").fill("3");
  });
  await handler.reload();
  await fire(handler, "答复", (f) => f.locator("[name=note]").fill("已约谈施工方，夜间停止施工。"));
  await intake.goto(orderUrl);
  await fire(intake, "回访", async (f) => {
    await f.locator("[name=satisfaction]").selectOption("basic_satisfied");
    await f.locator("[name=solved]").selectOption("true");
  });
  assert.equal(await facts(intake, "回访满意度"), "基本满意");
  await fire(intake, "办结");
  assert.match(await facts(intake, "状态"), /已办结/);
  assert.match(await intake.locator("table.timeline").textContent(), /延期 3 天/);
}
