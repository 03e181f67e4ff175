// A house-plot dispute from registration to the signed 人民调解协议书: the mediator
// registers it with both families; the dispatcher names the mediator; the mediator asks the
// legal advisor, who answers; a session succeeds; the agreement is drafted, previewed and
// downloadable as PDF; both parties confirm and the 司法确认 window opens; the follow-up
// finds it performed.

async function open(page, summary) {
  await page.locator("summary", { hasText: summary }).first().click();
}

async function ok(page, text) {
  await page.locator("#notice .alert.ok", { hasText: text }).waitFor();
}

async function fact(page, key) {
  const dt = page.locator("dl.kv dt", { hasText: new RegExp(`^${key}$`) }).first();
  return (await dt.locator("xpath=following-sibling::dd[1]").textContent()).trim();
}

export default async function (ctx) {
  const { assert, baseUrl } = ctx;
  const title = `两户宅基地界址纠纷（E2E ${Date.now()}）`;

  // 1. The mediator registers the dispute.
  const med = await ctx.newPage();
  await ctx.login(med, "mediator");
  await med.goto(`${baseUrl}/ui/mediation/`);
  await open(med, "登记矛盾纠纷");
  await med.selectOption("#category", "dispute.homestead");
  await med.selectOption("#came_by", "application");
  await med.fill("#amount_yuan", "3000");
  await med.selectOption('#nd-region-box select[data-level="0"]', "431027100000");
  await med.selectOption('#nd-region-box select[data-level="1"]', "431027100001");
  await med.fill("#title", title);
  await med.fill("#description", "两户因新建围墙占用界址约半米发生争执，多次口角。");
  await med.fill('[name="parties[0].name"]', "王建国");
  await med.fill('[name="parties[0].phone"]', "13907351111");
  await med.fill('[name="parties[1].name"]', "赵文华");
  await med.fill('[name="parties[1].phone"]', "13907352222");
  await med.locator("#new-dispute button[type=submit]").click();
  await med.waitForURL(/dispute\.html\?id=/);
  const id = Number(new URL(med.url()).searchParams.get("id"));
  await med.locator("#file h1").waitFor();
  assert.match(await fact(med, "涉及金额"), /3,000/);
  assert.match(await med.locator("#file table").first().textContent(), /139\*{4}1111/, "phones are masked");

  // 2. The dispatcher names the mediator (指派调解员) on the case page.
  const disp = await ctx.newPage();
  await ctx.login(disp, "dispatcher");
  await disp.goto(`${baseUrl}/ui/ops/case.html?id=${id}`);
  await disp.locator("section.actions summary", { hasText: "指派调解员" }).click();
  const sel = disp.locator("section.actions details[open] select[name=assignee]");
  await sel.locator("option", { hasText: "沤江镇人民调解员" }).waitFor({ state: "attached" });
  await sel.selectOption(await sel.locator("option", { hasText: "沤江镇人民调解员" }).getAttribute("value"));
  await disp.locator("section.actions details[open] button[type=submit]").click();
  await disp.locator("#notice .alert.ok").waitFor();

  // 3. The mediator asks; only the legal advisor may answer.
  await med.reload();
  await open(med, "向法律顾问咨询");
  await med.fill("#q-question", "围墙越界半米，能否要求拆除重建？费用如何分担？");
  await med.locator("#ask-form button[type=submit]").click();
  await ok(med, "咨询已提交");
  assert.equal(await med.locator("form[id^=answer-]").count(), 0, "a mediator cannot answer");
  const adv = await ctx.newPage();
  await ctx.login(adv, "advisor");
  await adv.goto(`${baseUrl}/ui/mediation/dispute.html?id=${id}`);
  const answer = adv.locator("form[id^=answer-]").first();
  await answer.locator("textarea").fill("依《民法典》第二百三十六条，可请求排除妨害；费用由越界一方承担，可协商分担。");
  await answer.locator("button[type=submit]").click();
  await ok(adv, "答复已保存");

  // 4. A session that succeeds; the agreement; both parties confirm.
  await med.reload();
  await open(med, "记录一次调解");
  await med.fill("#s-place", "东华社区调解室");
  await med.fill("#s-attendees", "王建国、赵文华、网格员");
  await med.fill("#s-facts", "赵家新建围墙越过界址约0.5米。");
  await med.fill("#s-proposals", "赵家拆除越界部分围墙；王家承担一半拆除费用。");
  await med.selectOption("#s-result", "success");
  await med.locator("#session-form button[type=submit]").click();
  await ok(med, "调解记录已保存");
  assert.equal(await fact(med, "调解结果"), "调解成功");

  await med.fill("#ag-committee", "沤江镇东华社区人民调解委员会");
  await med.fill("#ag-disputed_points", "围墙是否越界及拆除费用负担。");
  await med.fill("#ag-performance", "2026年12月31日前在现场履行，费用当场结清。");
  await med.locator("#agreement-form button[type=submit]").click();
  await ok(med, "协议书已保存");
  const frame = med.frameLocator("iframe.agreement-frame");
  await frame.locator("body").getByText("人民调解协议书").first().waitFor();
  const pdf = await med.locator("a", { hasText: "下载 PDF" }).getAttribute("href");
  const pdfType = await med.evaluate(async (u) => (await fetch(u)).headers.get("content-type"), pdf);
  assert.match(pdfType, /application\/pdf/);

  for (let i = 0; i < 2; i++) {
    await open(med, "记录签字确认");
    await med.selectOption("#g-method", "device");
    await med.locator("#sign-form button[type=submit]").click();
    await ok(med, "已记录签字确认");
  }
  await med.getByText("申请司法确认截止").waitFor();
  await ctx.screenshot(med, "agreement");

  // 5. The follow-up: performed, satisfied; the dispute closes.
  await open(med, "记录回访");
  await med.fill("#f-note", "围墙已按协议拆除，双方无异议。");
  await med.locator("#followup-form button[type=submit]").click();
  await ok(med, "回访已记录");
  assert.equal(await fact(med, "状态"), "已结案");
}
