"""The harness itself: slixmpp logs in over STARTTLS, pings the server, and receives a
message sent over REST."""

from harness import Client, expect, rest, run


async def scenario():
    bob = await Client("bob", plugins=["xep_0199"]).online()
    rtt = await bob.plugin["xep_0199"].ping(jid="localhost", timeout=5)
    expect(rtt is not None, "the server answered the ping")
    status, _ = rest("POST", "/messages", user="alice", body={"to": "bob@localhost", "body": "hi slixmpp"})
    expect(status == 200, f"REST send answered {status}")
    message = await bob.next_message()
    expect(message["body"] == "hi slixmpp", f"got {message['body']!r}")
    expect(message["from"].bare == "alice@localhost", f"from {message['from']}")
    await bob.offline()


run(scenario)
