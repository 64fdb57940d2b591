"""A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: prints its port, logs each CONNECT target, tunnels bytes."""
import asyncio
import sys

LOG = sys.argv[1]


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    request = await client_reader.readuntil(b"\r\n\r\n")
    method, target, _ = request.split(b"\r\n", 1)[0].decode().split(" ", 2)
    with open(LOG, "a") as log:
        log.write(f"{method} {target}\n")
    host, port = target.rsplit(":", 1)
    if method != "CONNECT" or host not in ("127.0.0.1", "localhost"):
        client_writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        client_writer.close()
        return
    upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
    client_writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await client_writer.drain()
    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
