"""A second process, an API protected by auth0-api-python: verifies a token through discovery.

auth0-api-python fetches https://$AUTH0_DOMAIN/.well-known/openid-configuration, then its jwks_uri,
and checks signature, issuer, audience and expiry. Exits 1 unless the token passes and carries the
worker's client id and scope. Usage: service_verify.py TOKEN
"""

import asyncio
import os
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*authlib.jose.*")

from auth0_api_python import ApiClient, ApiClientOptions  # noqa: E402


async def main(token: str) -> None:
    api = ApiClient(
        ApiClientOptions(
            domain=os.environ["AUTH0_DOMAIN"],
            audience=os.environ["M2M_WORKER_THINGS_EXAMPLE_COM_AUDIENCE"],
            dpop_enabled=False,
        )
    )
    claims = await api.verify_access_token(access_token=token)
    assert claims["iss"] == os.environ["AUTH0_ISSUER"], claims
    assert claims["azp"] == os.environ["M2M_WORKER_CLIENT_ID"], claims
    assert claims["scope"] == "read:things", claims
    print(f"verified: iss={claims['iss']} azp={claims['azp']} scope={claims['scope']}")


asyncio.run(main(sys.argv[1]))
