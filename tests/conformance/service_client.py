"""A service-like client started only from `m2mctl credentials worker --format env`: gets a token.

Reads AUTH0_DOMAIN, M2M_WORKER_CLIENT_ID, M2M_WORKER_CLIENT_SECRET and
M2M_WORKER_THINGS_EXAMPLE_COM_AUDIENCE (exported by that command) and prints the access token that
auth0-python's GetToken obtains over TLS (SSL_CERT_FILE / REQUESTS_CA_BUNDLE trust the emulator).
"""

import os
import sys

from auth0.authentication import GetToken

token = GetToken(
    os.environ["AUTH0_DOMAIN"],
    os.environ["M2M_WORKER_CLIENT_ID"],
    client_secret=os.environ["M2M_WORKER_CLIENT_SECRET"],
).client_credentials(os.environ["M2M_WORKER_THINGS_EXAMPLE_COM_AUDIENCE"])
if not token.get("access_token"):
    sys.exit(f"no access token: {token}")
print(token["access_token"])
