"""The local AWS emulator: moto's server, as `moto_server` runs it, less two of its costs.

For every request, moto's dispatcher finds the service by listing its own package folder (a stat of each of some
two hundred entries) and then matching the host against every service's URL patterns, all under one lock. The answer
depends on the host alone, so it is worked out once per host here. And for every message an SQS receive hands out,
moto checks the queue's retention period by computing all of the queue's attributes three times, each count of
messages a walk over the whole queue: with a hundred waiting, that is most of a receive's cost. Here the check reads
the one setting it needs. Everything else is moto's own server and application.

    python scripts/emulator.py [--host 127.0.0.1] [--port 5000]
"""

import argparse
import os
import signal
import sys

from moto.core.utils import unix_time
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sqs.models import SQSBackend
from werkzeug.serving import run_simple


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which service answers each host (the lookup runs under the dispatcher's lock)."""

    def __init__(self):
        super().__init__(create_backend_app)
        self._backend_by_host = {}

    def get_backend_for_host(self, host):
        if host not in self._backend_by_host:
            self._backend_by_host[host] = super().get_backend_for_host(host)
        return self._backend_by_host[host]


def _retained(backend, queue_name, message):
    """Whether `message` is still within its queue's retention period (moto's own test, one attribute read)."""
    retention_seconds = int(backend.get_queue(queue_name).message_retention_period)
    return retention_seconds + message.sent_timestamp / 1000 > unix_time()


def install_shortcuts():
    """Replaces moto's per-message retention check with the one-attribute read above; the server calls it at start."""
    SQSBackend.is_message_valid_based_on_retention_period = _retained


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")), help="port")
    args = parser.parse_args(argv)
    # moto calls itself on this port for some requests, as under moto_server.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    install_shortcuts()
    run_simple(args.host, args.port, Dispatcher(), threaded=True)


if __name__ == "__main__":
    main(sys.argv[1:])
