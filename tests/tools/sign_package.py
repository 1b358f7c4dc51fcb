#!/usr/bin/env python3
"""Signs a GrpcPlugins package with Python's `cryptography`, independently of the .NET code, following the
signature format of src/GrpcPlugins.Packaging/README.md ("Signature format"): ECDSA P-256 with SHA-256 over the
RFC 8785 form of plugin.json without its "signature", the signature as base64 of r || s, the key id as the first 16
hex digits of the SHA-256 of the public key's SubjectPublicKeyInfo.

    sign_package.py IN.zip OUT.zip KEYNAME [--tamper]

Writes OUT.zip (IN.zip with a signed plugin.json) and KEYNAME.pub.pem, and prints the key id. With --tamper, the
description is changed after signing, so the signature must not verify.

The canonical form here is json.dumps with sorted keys, no whitespace and non-ASCII as itself: RFC 8785 for what
plugin.json holds (strings, whole numbers, true/false/null, no member names beyond U+FFFF); anything else is refused
rather than signed wrongly.
"""
import base64
import hashlib
import json
import sys
import zipfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def check_subset(value):
    if isinstance(value, float):
        raise SystemExit(f"sign_package.py: {value!r} is not a whole number; this signer covers RFC 8785's integer subset only")
    if isinstance(value, dict):
        for key, item in value.items():
            if any(ord(c) > 0xFFFF for c in key):
                raise SystemExit(f"sign_package.py: member name {key!r} sorts differently by code point and by UTF-16 unit")
            check_subset(item)
    elif isinstance(value, list):
        for item in value:
            check_subset(item)


def canonical(manifest):
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    check_subset(unsigned)
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def main(argv):
    if len(argv) not in (4, 5):
        raise SystemExit(__doc__)
    source, target, key_name = argv[1:4]
    tamper = len(argv) == 5 and argv[4] == "--tamper"

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = hashlib.sha256(spki).hexdigest()[:16]
    with open(key_name + ".pub.pem", "wb") as pem:
        pem.write(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    with zipfile.ZipFile(source) as zin:
        manifest = json.loads(zin.read("plugin.json").decode("utf-8"))
        r, s = decode_dss_signature(key.sign(canonical(manifest), ec.ECDSA(hashes.SHA256())))
        manifest["signature"] = {
            "algorithm": "ecdsa-p256-sha256",
            "canonicalization": "rfc8785",
            "keyId": key_id,
            "value": base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode("ascii"),
        }
        if tamper:
            manifest["description"] += " (changed after signing)"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8") if info.filename == "plugin.json" else zin.read(info)
                zout.writestr(info, data)
    print(key_id)


if __name__ == "__main__":
    main(sys.argv)
