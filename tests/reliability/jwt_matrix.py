"""JWT attack matrix, run by an independent client (PyJWT, `cryptography` and
hand-built tokens) against the real service over HTTP (POST /graphql) and the
WebSocket subscription handshake (graphql-transport-ws `connection_init`, and
the upgrade request's own Authorization header).

Two services: one on an HS256 shared secret with `auth.issuer` set, one on an
RS256 public key file (for key confusion). Every attack must be refused with
UNAUTHENTICATED and no data; valid tokens are the control and must pass. The
refusals are counted and printed.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import time
import warnings

import jwt
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from common import SECRET, Figures, Service, binary_or_exit, check, run_main

# HS384/HS512 attack tokens reuse the service's 48-byte secret on purpose.
warnings.filterwarnings("ignore", message=".*HMAC key.*")

ISSUER = "reliability-issuer"
MAX_LIFETIME = 900  # auth.max_token_lifetime = "15m"
ME = "{ me { subject role } }"


def b64(data):
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hand_signed(header, claims, key_bytes):
    """HMAC-SHA256 over header.payload with any bytes as the key: PyJWT refuses
    to use a PEM public key as an HMAC secret, an attacker does not."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    sig = hmac.new(key_bytes, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def claims(**over):
    now = int(time.time())
    c = {"sub": "mallory", "role": "admin", "aud": "cronkeeper", "iss": ISSUER, "iat": now, "exp": now + 300}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def hs(c, secret=SECRET, alg="HS256", headers=None):
    return jwt.encode(c, secret, algorithm=alg, headers=headers)


def unsigned(c, alg="none"):
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(c)}."


def tamper_payload(token, **over):
    """Changes claims but keeps the original signature (a forged role)."""
    h, p, s = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    payload.update(over)
    return f"{h}.{b64(payload)}.{s}"


def hs_attacks():
    """(name, Authorization header value or None) for the HS256 service."""
    now = int(time.time())
    viewer = hs(claims(role="viewer"))
    good = hs(claims())
    h, p, s = good.split(".")
    big = "x" * (256 * 1024)
    return [
        ("no Authorization header", None),
        ("empty bearer", "Bearer "),
        ("Basic scheme", "Basic " + base64.b64encode(b"admin:admin").decode()),
        ("token without scheme", good),
        ("alg none", "Bearer " + unsigned(claims())),
        ("alg None", "Bearer " + unsigned(claims(), "None")),
        ("alg NONE", "Bearer " + unsigned(claims(), "NONE")),
        ("alg none with the real signature kept", "Bearer " + f"{b64({'alg': 'none'})}.{p}.{s}"),
        ("HS384 with the right secret", "Bearer " + hs(claims(), alg="HS384")),
        ("HS512 with the right secret", "Bearer " + hs(claims(), alg="HS512")),
        ("wrong secret", "Bearer " + hs(claims(), secret="another-secret-another-secret-0123456789")),
        ("signature of another token", "Bearer " + f"{h}.{p}.{hs(claims(sub='x')).split('.')[2]}"),
        ("signature truncated", "Bearer " + good[:-4]),
        ("signature removed", "Bearer " + f"{h}.{p}."),
        ("forged role viewer->admin", "Bearer " + tamper_payload(viewer, role="admin")),
        ("forged sub", "Bearer " + tamper_payload(good, sub="root")),
        ("forged exp extended", "Bearer " + tamper_payload(good, exp=now + 600)),
        ("expired", "Bearer " + hs(claims(iat=now - 600, exp=now - 120))),
        ("nbf in the future", "Bearer " + hs(claims(nbf=now + 600))),
        ("iat in the future", "Bearer " + hs(claims(iat=now + 600, exp=now + 800))),
        ("wrong audience", "Bearer " + hs(claims(aud="magento"))),
        ("audience list without cronkeeper", "Bearer " + hs(claims(aud=["magento", "other"]))),
        ("audience missing", "Bearer " + hs(claims(aud=None))),
        ("wrong issuer", "Bearer " + hs(claims(iss="evil-issuer"))),
        ("issuer missing", "Bearer " + hs(claims(iss=None))),
        ("lifetime over the maximum", "Bearer " + hs(claims(exp=now + MAX_LIFETIME + 60))),
        ("lifetime of ten years", "Bearer " + hs(claims(exp=now + 10 * 365 * 86400))),
        ("lifetime over max via old iat", "Bearer " + hs(claims(iat=now - 7200, exp=now + 60))),
        ("exp missing", "Bearer " + hs(claims(exp=None))),
        ("iat missing", "Bearer " + hs(claims(iat=None))),
        ("exp as a string", "Bearer " + hs(claims(exp=str(now + 300)))),
        ("exp beyond i64", "Bearer " + hs(claims(exp=2**70))),
        ("sub missing", "Bearer " + hs(claims(sub=None))),
        ("sub blank", "Bearer " + hs(claims(sub="   "))),
        ("role missing", "Bearer " + hs(claims(role=None))),
        ("role Admin (case)", "Bearer " + hs(claims(role="Admin"))),
        ("role root", "Bearer " + hs(claims(role="root"))),
        ("role as a list", "Bearer " + hs(claims(role=["admin"]))),
        ("claims not an object", "Bearer " + hand_signed({"alg": "HS256"}, ["admin"], SECRET.encode())),
        ("malformed: one segment", "Bearer abcdef"),
        ("malformed: two segments", "Bearer abc.def"),
        ("malformed: four segments", "Bearer " + good + ".extra"),
        ("malformed: not base64", "Bearer !!!.@@@.###"),
        ("malformed: header not JSON", "Bearer " + f"{b64(b'not json')}.{p}.{s}"),
        ("malformed: control characters", "Bearer " + good[:10] + "\t\t" + good[10:]),
        ("oversized garbage (256 KiB)", "Bearer " + big),
        ("oversized claim, correctly signed (64 KiB)", "Bearer " + hs(claims(pad="y" * 65536))),
    ]


def reason(body):
    """The refusal's message, as the caller sees it."""
    if isinstance(body, dict) and body.get("errors"):
        return body["errors"][0].get("message", "")[:60]
    return str(body)[:60]


def is_refused(status, body):
    if status >= 400 and status != 200:
        return True
    if not isinstance(body, dict):
        return False
    errors = body.get("errors") or []
    codes = {((e.get("extensions") or {}).get("code")) for e in errors}
    return not body.get("data") and "UNAUTHENTICATED" in codes


async def ws_outcome(port, header_value, in_payload=True):
    """'ack' when the handshake is accepted, else a short description of the refusal."""
    uri = f"ws://127.0.0.1:{port}/graphql"
    extra = {}
    payload = {}
    if header_value is not None:
        if in_payload:
            payload = {"Authorization": header_value}
        else:
            extra = {"Authorization": header_value}
    try:
        async with websockets.connect(
            uri, subprotocols=["graphql-transport-ws"], additional_headers=extra, max_size=2**22, open_timeout=10
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            try:
                msg = await asyncio.wait_for(ws.recv(), timeout=10)
            except websockets.ConnectionClosed as e:
                return f"closed {e.rcvd.code if e.rcvd else '?'}"
            kind = json.loads(msg).get("type")
            if kind != "connection_ack":
                return f"message {kind}"
            # Accepted: prove the socket works by subscribing.
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { runEvents { runId } }"}}))
            try:
                extra_msg = await asyncio.wait_for(ws.recv(), timeout=1)
                if json.loads(extra_msg).get("type") == "error":
                    return "subscribe error"
            except asyncio.TimeoutError:
                pass
            return "ack"
    except websockets.InvalidStatus as e:
        return f"http {e.response.status_code}"
    except (websockets.InvalidHandshake, OSError) as e:
        return f"handshake failed: {type(e).__name__}"


def ws(port, header_value, in_payload=True):
    return asyncio.run(ws_outcome(port, header_value, in_payload))


def run_hs(fig):
    svc = Service(f'[auth]\nissuer = "{ISSUER}"\nmax_token_lifetime = "15m"\n').start()
    try:
        # Control: valid tokens of every role pass, over HTTP and WebSocket.
        for role in ("viewer", "operator", "admin"):
            t = "Bearer " + hs(claims(role=role, sub=f"ctl-{role}"))
            status, body = svc.post({"query": ME}, {"Authorization": t})
            check(status == 200 and body.get("data", {}).get("me") == {"subject": f"ctl-{role}", "role": role}, f"valid {role} token refused: {body}")
            check(ws(svc.port, t) == "ack", f"valid {role} token refused on the WebSocket")
            fig.add("valid tokens accepted (HTTP + WS)", 2)
        check(ws(svc.port, "Bearer " + hs(claims()), in_payload=False) == "ack", "valid token in the upgrade header refused")
        fig.add("valid tokens accepted (HTTP + WS)")

        for name, value in hs_attacks():
            headers = {} if value is None else {"Authorization": value}
            try:
                status, body = svc.post({"query": ME}, headers)
            except (ConnectionError, OSError) as e:  # a server closing on a huge header refuses too
                status, body = 599, str(e)
            http_refused = is_refused(status, body)
            ws_payload = ws(svc.port, value)
            ws_header = ws(svc.port, value, in_payload=False) if value is not None else ws_payload
            print(f"    {name:45} HTTP {'refused' if http_refused else 'ACCEPTED'} ({status}: {reason(body)}); WS init: {ws_payload}; WS header: {ws_header}")
            check(http_refused, f"{name}: accepted over HTTP: {str(body)[:300]}")
            check(ws_payload != "ack", f"{name}: accepted in connection_init")
            check(ws_header != "ack", f"{name}: accepted in the upgrade header")
            fig.add("attacks refused over HTTP")
            fig.add("attacks refused over WebSocket (init payload + upgrade header)", 2 if value is not None else 1)
        # The service is still answering valid tokens after the barrage.
        status, body = svc.post({"query": ME}, {"Authorization": "Bearer " + hs(claims(sub="after"))})
        check(body.get("data", {}).get("me", {}).get("subject") == "after", f"service unhealthy after attacks: {body}")
        fig.add("valid tokens accepted (HTTP + WS)")
    finally:
        svc.stop()


def run_rsa(fig):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem_priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    svc = Service()
    with open(f"{svc.dir}/jwt.pub.pem", "wb") as f:
        f.write(pem_pub)
    with open(svc.config, "a") as f:
        f.write(f'[auth]\npublic_key_file = "{svc.dir}/jwt.pub.pem"\n')
    svc.start()
    try:
        c = claims(iss=None)
        good = "Bearer " + jwt.encode(c, pem_priv, algorithm="RS256")
        status, body = svc.post({"query": ME}, {"Authorization": good})
        check(body.get("data", {}).get("me", {}).get("role") == "admin", f"valid RS256 token refused: {body}")
        check(ws(svc.port, good) == "ack", "valid RS256 token refused on the WebSocket")
        fig.add("valid tokens accepted (HTTP + WS)", 2)
        pub_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        attacks = [
            ("key confusion: HS256 keyed with the PEM public key", hand_signed({"alg": "HS256", "typ": "JWT"}, c, pem_pub)),
            ("key confusion: HS256 keyed with the PEM minus newline", hand_signed({"alg": "HS256"}, c, pem_pub.strip())),
            ("key confusion: HS256 keyed with the DER public key", hand_signed({"alg": "HS256"}, c, pub_der)),
            ("key confusion: HS256 keyed with the service's env secret", hs(c)),
            ("RS256 signed by another key", jwt.encode(c, other, algorithm="RS256")),
            ("PS256 with the right key", jwt.encode(c, pem_priv, algorithm="PS256")),
            ("RS512 with the right key", jwt.encode(c, pem_priv, algorithm="RS512")),
            ("alg none", unsigned(c)),
            ("forged role on a viewer RS256 token", tamper_payload(jwt.encode(claims(iss=None, role="viewer"), pem_priv, algorithm="RS256"), role="admin")),
            ("RS256 expired", jwt.encode(claims(iss=None, iat=int(time.time()) - 900, exp=int(time.time()) - 300), pem_priv, algorithm="RS256")),
            ("RS256 lifetime over max", jwt.encode(claims(iss=None, exp=int(time.time()) + 7200), pem_priv, algorithm="RS256")),
        ]
        for name, t in attacks:
            status, body = svc.post({"query": ME}, {"Authorization": "Bearer " + t})
            refused = is_refused(status, body)
            w = ws(svc.port, "Bearer " + t)
            print(f"    {name:55} HTTP {'refused' if refused else 'ACCEPTED'} ({status}: {reason(body)}); WS init: {w}")
            check(refused, f"{name}: accepted over HTTP: {body}")
            check(w != "ack", f"{name}: accepted on the WebSocket")
            fig.add("attacks refused over HTTP")
            fig.add("attacks refused over WebSocket (init payload + upgrade header)")
    finally:
        svc.stop()


def main():
    binary_or_exit()
    fig = Figures("JWT attack matrix")
    print("HS256 service (auth.issuer set, max lifetime 15m):")
    run_hs(fig)
    print("RS256 service (auth.public_key_file):")
    run_rsa(fig)
    fig.show()
    check(fig["attacks refused over HTTP"] >= 55, "fewer attacks than expected were run")


if __name__ == "__main__":
    run_main(main)
