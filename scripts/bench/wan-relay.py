#!/usr/bin/env python3
"""The delay half of scripts/bench/wan-link (this kernel has no netem): a TCP relay per host that listens inside
the host's network namespace and forwards to the host's sshd in the root namespace, holding every chunk for a
fixed delay in each direction.

Usage: wan-relay.py DELAY_MS STATS_FILE READY_FILE NAME=NETNS,LISTEN_ADDR:PORT,TARGET_ADDR:PORT ...

The delay is a pipelined delay line, not a sleep per chunk: each chunk is stamped when it is read and written
when its time comes, so a stream keeps its rate and only gains the delay. Flow control is kept: a direction stops
reading while more than BUFFER bytes wait in its line, so a slow reader slows the sender as TCP would.
Bytes per direction per host (payload: the SSH stream, without TCP/IP headers) go to STATS_FILE as JSON,
rewritten at most every 100 ms while they change. Python 3.11 standard library only.
"""
import asyncio
import collections
import ctypes
import json
import os
import signal
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
BUFFER = 1 << 20          # bytes in flight per direction; 1 MiB over 20 ms allows ~50 MB/s, above the link's rate
CHUNK = 64 << 10

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def listen_in(netns, address, port):
    """A listening socket created inside the named namespace; the process returns to its own namespace after."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    try:
        setns(target)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(64)
        sock.setblocking(False)
    finally:
        setns(own)  # outgoing connections (to the sshd on 127.0.0.x) leave from the root namespace
        os.close(target)
        os.close(own)
    return sock


stats = {}
dirty = True


async def pump(reader, writer, delay, counter):
    """Copies reader to writer through a delay line of `delay` seconds."""
    global dirty
    line = collections.deque()
    buffered = 0
    space = asyncio.Event()
    space.set()
    ready = asyncio.Event()

    async def read_side():
        nonlocal buffered
        while True:
            await space.wait()
            data = await reader.read(CHUNK)
            line.append((time.monotonic() + delay, data))
            ready.set()
            if not data:
                return
            buffered += len(data)
            if buffered > BUFFER:
                space.clear()

    async def write_side():
        global dirty
        nonlocal buffered
        while True:
            while not line:
                ready.clear()
                await ready.wait()
            due, data = line.popleft()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
            buffered -= len(data)
            stats[counter[0]][counter[1]] += len(data)
            dirty = True
            if buffered <= BUFFER:
                space.set()

    reading = asyncio.ensure_future(read_side())
    try:
        await write_side()
    finally:
        reading.cancel()


async def serve(name, delay, target):
    async def handle(client_reader, client_writer):
        stats[name]["connections"] += 1
        try:
            host, port = target
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        for w in (client_writer, server_writer):
            w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up = asyncio.ensure_future(pump(client_reader, server_writer, delay, (name, "up")))
        down = asyncio.ensure_future(pump(server_reader, client_writer, delay, (name, "down")))
        try:
            await asyncio.gather(up, down, return_exceptions=True)
        finally:
            for w in (client_writer, server_writer):
                w.close()
    return handle


async def write_stats(path):
    global dirty
    while True:
        if dirty:
            dirty = False
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(stats, f, sort_keys=True)
            os.replace(tmp, path)
        await asyncio.sleep(0.1)


async def main():
    delay = float(sys.argv[1]) / 1000
    stats_path, ready_path = sys.argv[2], sys.argv[3]
    servers = []
    for spec in sys.argv[4:]:
        name, rest = spec.split("=", 1)
        netns, listen, target = rest.split(",")
        laddr, lport = listen.rsplit(":", 1)
        taddr, tport = target.rsplit(":", 1)
        stats[name] = {"up": 0, "down": 0, "connections": 0}
        sock = listen_in(netns, laddr, int(lport))
        servers.append(await asyncio.start_server(await serve(name, delay, (taddr, int(tport))), sock=sock))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    asyncio.ensure_future(write_stats(stats_path))
    with open(ready_path, "w") as f:
        f.write(str(os.getpid()))
    await stopping.wait()


asyncio.run(main())
