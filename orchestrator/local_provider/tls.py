"""The plugin's throwaway server certificate, built by hand in DER.

go-plugin pins the certificate the plugin announces in its handshake line, so a fresh self-signed
ECDSA P-256 certificate per process is all that is needed. ``cryptography.x509`` would take
~40 ms to import, a fifth of the start-up budget; the few ASN.1 structures below take none.
"""

from __future__ import annotations

import base64
import datetime
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives._serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.hazmat.primitives.asymmetric import ec


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(p) for p in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _int(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big"))


def _bits(data: bytes, unused: int = 0) -> bytes:
    return _tlv(0x03, bytes([unused]) + data)


def _time(moment: datetime.datetime) -> bytes:
    return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())


def _name() -> bytes:
    def rdn(oid: str, value: str) -> bytes:
        return _tlv(0x31, _seq(_oid(oid), _tlv(0x0C, value.encode())))

    return _seq(rdn("2.5.4.10", "HashiCorp"), rdn("2.5.4.3", "localhost"))


def _extension(oid: str, value: bytes, critical: bool) -> bytes:
    return _seq(_oid(oid), _tlv(0x01, b"\xff") if critical else b"", _tlv(0x04, value))


def server_certificate() -> tuple[bytes, bytes, bytes]:
    """A self-signed ECDSA P-256 certificate for ``localhost``: (key PEM, cert PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    ecdsa_sha256 = _seq(_oid("1.2.840.10045.4.3.2"))
    now = datetime.datetime.now(datetime.timezone.utc)
    extensions = _seq(
        _extension("2.5.29.19", _seq(_tlv(0x01, b"\xff")), critical=True),  # CA: go-plugin pins it as a root
        _extension("2.5.29.15", _bits(b"\xac", 2), critical=True),  # digitalSignature keyEncipherment keyAgreement certSign
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"), _oid("1.3.6.1.5.5.7.3.2")), critical=False),
        _extension("2.5.29.17", _seq(_tlv(0x82, b"localhost")), critical=False),
    )
    tbs = _seq(
        _tlv(0xA0, _int(2)),
        _int(int.from_bytes(os.urandom(16), "big") >> 1),
        ecdsa_sha256,
        _name(),
        _seq(_time(now - datetime.timedelta(seconds=30)), _time(now + datetime.timedelta(days=1))),
        _name(),
        _seq(_seq(_oid("1.2.840.10045.2.1"), _oid("1.2.840.10045.3.1.7")), _bits(point)),
        _tlv(0xA3, extensions),
    )
    der = _seq(tbs, ecdsa_sha256, _bits(key.sign(tbs, ec.ECDSA(hashes.SHA256()))))
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    cert_pem = f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n".encode()
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return key_pem, cert_pem, der
