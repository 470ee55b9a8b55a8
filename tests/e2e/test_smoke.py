async def test_start_shows_menu(bot, phone):
    await phone.send("/start")
    msg = await phone.wait_reply()
    assert "V3 CRM" in msg["text"]
    assert "Add contact" in " ".join(phone.buttons(msg))


async def test_add_wizard_happy_path(bot, phone):
    await phone.send("/add")
    q = await phone.wait_reply()
    assert "name" in q["text"]
    await phone.send("Jane <b>Smith</b> & Co")
    q = await phone.wait_reply()
    await phone.click(q, "Prevention prospect")
    q = await phone.wait_reply()
    assert "email" in q["text"]
    await phone.send("jane@example")
    q = await phone.wait_reply()
    assert "doesn't look right" in q["text"]
    assert "email" in q["text"]
    await phone.send("jane@example.com")
    q = await phone.wait_reply()
    assert "phone" in q["text"]
    await phone.send("/skip")
    q = await phone.wait_reply()
    await phone.click(q, "Skip")  # company
    q = await phone.wait_reply()
    assert "address" in q["text"]
    await phone.send("1 High St, Leeds")
    q = await phone.wait_reply()
    await phone.click(q, "Skip")  # how found
    q = await phone.wait_reply()
    await phone.click(q, "High")
    q = await phone.wait_reply()
    await phone.send("1/12")
    q = await phone.wait_reply()
    await phone.send("-5")
    q = await phone.wait_reply()
    assert "negative" in q["text"]
    await phone.send("£2,500")
    q = await phone.wait_reply()
    assert "check and save" in q["text"]
    assert "£2,500" in q["text"]
    await phone.click(q, "✅ Save")
    saved = await phone.wait_reply()
    assert "Saved" in saved["text"]
    await phone.wait_idle()
    card = phone.last_message
    assert "Jane <b>Smith</b> & Co" in card["text"]
    assert "Prevention prospect" in card["text"]
