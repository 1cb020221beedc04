"""A TCP proxy in front of the test S3 server that fails uploads on demand, the way a network
does: a PUT whose key starts with `cut/` (a whole object, or part 2 or later of a multipart
upload) is forwarded until half its body has gone through, then both connections are closed.
Every other request passes untouched. Used by scripts/s3.sh.

    python3 cutting_proxy.py --listen 18901 --target 18900
"""
import argparse
import re
import socket
import threading

HEAD_END = b"\r\n\r\n"


def pump(source, sink):
    """Server to client, byte for byte."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def should_cut(head):
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, target = (line.split(" ") + ["", ""])[:2]
    if method != "PUT":
        return False
    path, _, query = target.partition("?")
    # Path style /bucket/cut/… or virtual-hosted /cut/…
    if not re.match(r"^/([^/]+/)?cut/", path):
        return False
    part = re.search(r"(?:^|&)partNumber=(\d+)", query)
    return part is None or int(part.group(1)) >= 2


def serve(client, target_port):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    buffer = b""
    try:
        while True:
            while HEAD_END not in buffer:
                data = client.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(HEAD_END)
            head += HEAD_END
            match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            length = int(match.group(1)) if match else 0
            cut = should_cut(head)
            limit = length // 2 if cut else length
            upstream.sendall(head)
            sent = 0
            while sent < limit:
                if not buffer:
                    buffer = client.recv(65536)
                    if not buffer:
                        return
                piece = buffer[: limit - sent]
                buffer = buffer[len(piece):]
                upstream.sendall(piece)
                sent += len(piece)
            if cut:
                print(f"cut {head.split(b' ', 2)[1].decode('latin-1')} after {sent} of {length} bytes", flush=True)
                return
    except OSError:
        pass
    finally:
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", type=int, required=True)
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.listen))
    listener.listen(64)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, args.target), daemon=True).start()


if __name__ == "__main__":
    main()
