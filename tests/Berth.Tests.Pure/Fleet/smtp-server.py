# A real SMTP server for the e-mail notification tests: Debian's aiosmtpd, listening on loopback,
# storing every message in a maildir the test reads, and (when SMTP_TEST_USER is set) requiring
# AUTH PLAIN/LOGIN with that user and SMTP_TEST_PASSWORD. The CLI (`python3 -m aiosmtpd`) has no
# option for AUTH, hence these few lines. Usage: smtp-server.py HOST PORT MAILDIR
import asyncio
import os
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

host, port, maildir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
user = os.environ.get("SMTP_TEST_USER")
password = os.environ.get("SMTP_TEST_PASSWORD")


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)


handler = Mailbox(maildir)


def factory():
    if user:
        return SMTP(handler, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    return SMTP(handler)


loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_server(factory, host=host, port=port))
print(f"listening on {host}:{port}", flush=True)
loop.run_forever()
