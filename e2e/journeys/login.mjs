// Each kind of user logs in through the real login page and lands on their role's home.
const HOMES = [
  ["intake", /^\/ui\/ops\/queue\.html$/],
  ["leader", /^\/ui\/leader\/dashboard\.html$/],
  ["mediator", /^\/ui\/mediation\/(index\.html)?$/],
  ["gridworker", /^\/ui\/m\/(index\.html)?$/],
];

export default async function ({ newPage, login, screenshot, assert, baseUrl }) {
  const first = await newPage();
  await first.goto(`${baseUrl}/`);
  assert.match(new URL(first.url()).pathname, /^\/ui\/(index\.html)?$/, "/ redirects to the login page");
  await first.getByLabel("用户名").waitFor();
  await screenshot(first, "login-page");

  // A wrong password is refused on the page, without leaving it.
  await first.fill("#username", "intake");
  await first.fill("#password", "wrong-password-1");
  await first.click("#login button[type=submit]");
  await first.locator("#login [role=alert]").first().waitFor();
  assert.match(new URL(first.url()).pathname, /^\/ui\/(index\.html)?$/);

  for (const [user, home] of HOMES) {
    const page = await newPage();
    await login(page, user);
    assert.match(new URL(page.url()).pathname, home, `${user} lands on its home page`);
  }
}
