#!/usr/bin/env python3
"""Drives Chorus's Socket.IO namespaces with python-socketio, a client written by
others, the way a browser or mobile app of the seeds would.

Usage: socketio_chat.py CONFIG_JSON
CONFIG_JSON: {"url_a": …, "url_b": …, "rest": …, "token_a": …, "token_b": …,
              "user_a": …, "user_b": …, "room": …}
Ana (a) connects to url_a and Ben (b) to url_b: two instances of chat, or the
same gateway twice. Each check prints one line; any failure exits non-zero
with the reason.
"""

import json
import queue
import sys
import time

import requests
import socketio

TIMEOUT = 10


def fail(reason):
    print(f"FAIL {reason}", flush=True)
    sys.exit(1)


def ok(what):
    print(f"ok   {what}", flush=True)


class Client:
    """One python-socketio client on both namespaces (multiplexed on one
    connection), its received events queued per name."""

    def __init__(self, name, url, token):
        self.name = name
        self.events = {}
        self.sio = socketio.Client(reconnection=False)
        for namespace in ("/chat", "/notifications"):
            self.sio.on("*", self._catch_all(namespace), namespace=namespace)
        self.sio.connect(
            url,
            namespaces=["/chat", "/notifications"],
            auth={"token": token},
            wait_timeout=TIMEOUT,
        )

    def _catch_all(self, namespace):
        def handler(event, data=None):
            self.events.setdefault((namespace, event), queue.Queue()).put(data)

        return handler

    def next(self, event, namespace="/chat", match=lambda data: True):
        """The next `event` whose data satisfies `match`, within TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        box = self.events.setdefault((namespace, event), queue.Queue())
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"{self.name} got no {event} on {namespace} within {TIMEOUT} s")
            try:
                data = box.get(timeout=left)
            except queue.Empty:
                continue
            if match(data):
                return data

    def none_of(self, event, within=1.0, namespace="/chat"):
        box = self.events.setdefault((namespace, event), queue.Queue())
        try:
            data = box.get(timeout=within)
        except queue.Empty:
            return
        fail(f"{self.name} got an unexpected {event}: {data!r}")

    def call(self, event, data):
        return self.sio.call(event, data, namespace="/chat", timeout=TIMEOUT)


def refused(url, token):
    """Is a handshake with this token refused?"""
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, namespaces=["/chat"], auth={"token": token}, wait_timeout=TIMEOUT)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def main():
    config = json.loads(sys.argv[1])
    room = config["room"]

    if not refused(config["url_a"], "not-a-token"):
        fail("a handshake with a bad token was accepted")
    ok("a bad token is refused at the handshake")

    ana = Client("ana", config["url_a"], config["token_a"])
    ben = Client("ben", config["url_b"], config["token_b"])
    ok("both connect with their tokens")

    joined = ana.call("join_room", {"roomId": room})
    if not joined.get("ok"):
        fail(f"ana cannot join: {joined!r}")
    history = ana.next("message_history")
    if history.get("roomId") != room or not isinstance(history.get("messages"), list):
        fail(f"message_history has the wrong shape: {history!r}")
    if not ben.call("join_room", {"roomId": room}).get("ok"):
        fail("ben cannot join")
    users = ana.next("room_users", match=lambda d: len(d.get("users", [])) == 2)
    if {u["id"] for u in users["users"]} != {config["user_a"], config["user_b"]}:
        fail(f"room_users lists the wrong users: {users!r}")
    ok("join_room gives message_history and room_users")

    sent = ana.call("send_message", {"roomId": room, "message": "hello from python"})
    if not sent.get("ok"):
        fail(f"send_message was refused: {sent!r}")
    received = ben.next("new_message", match=lambda d: d.get("content") == "hello from python")
    if received.get("roomId") != room or received["sender"]["id"] != config["user_a"]:
        fail(f"new_message has the wrong shape: {received!r}")
    ok("send_message reaches the other member as new_message")

    ben.sio.emit("typing", {"roomId": room}, namespace="/chat")
    typing = ana.next("user_typing")
    if typing.get("user_id") != config["user_b"]:
        fail(f"user_typing names the wrong user: {typing!r}")
    ben.none_of("user_typing")
    ok("typing reaches the others, not the typist")

    too_long = ana.call("send_message", {"roomId": room, "message": "x" * 4001})
    if too_long.get("ok") or too_long["error"]["code"] != "validation_failed":
        fail(f"a 4001-character message was not refused: {too_long!r}")
    if ana.call("send_message", {"roomId": "12345", "message": "hi"}).get("ok"):
        fail("a message to a room ana is not in was accepted")
    ok("too long and wrong room are refused; the connection stays up")

    follow = requests.post(
        f"{config['rest']}/api/v1/users/{config['user_b']}/follow",
        headers={"authorization": f"Bearer {config['token_a']}"},
        timeout=TIMEOUT,
    )
    if follow.status_code != 200:
        fail(f"follow answered {follow.status_code}: {follow.text}")
    note = ben.next("notification", namespace="/notifications", match=lambda d: d.get("type") == "follow")
    if note["actor"]["id"] != config["user_a"]:
        fail(f"the follow notification names the wrong actor: {note!r}")
    ok("a follow arrives as a notification on /notifications")

    ana.sio.disconnect()
    ben.sio.disconnect()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
