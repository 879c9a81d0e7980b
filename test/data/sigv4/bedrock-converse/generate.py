# Regenerates this directory's vector with botocore's SigV4 signer (an
# implementation independent of aigw's): python3 generate.py, run here.
# Written with botocore 1.43.11.  A Bedrock Converse request: signing name
# "bedrock", a model id whose ':' is sent as %3A (signed as %253A), and
# temporary credentials whose session token is signed.
import datetime, json, os, botocore, botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 8, 30, 12, 36, 0)
class FixedDT(datetime.datetime):
    @classmethod
    def utcnow(cls): return FIXED
    @classmethod
    def now(cls, tz=None): return FIXED.replace(tzinfo=tz) if tz else FIXED
botocore.auth.datetime.datetime = FixedDT

ctx = {
  "credentials": {"access_key_id": "AKIDEXAMPLE",
                  "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                  "token": "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDEXAMPLETOKEN+abc/def=="},
  "expiration_in_seconds": 3600, "normalize": True, "region": "us-east-1",
  "service": "bedrock", "sign_body": False, "timestamp": "2026-08-30T12:36:00Z"}
host = "bedrock-runtime.us-east-1.amazonaws.com"
path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
body = '{"messages":[{"role":"user","content":[{"text":"Say hello"}]}],"inferenceConfig":{"maxTokens":64}}'
creds = Credentials(ctx["credentials"]["access_key_id"], ctx["credentials"]["secret_access_key"], ctx["credentials"]["token"])
req = AWSRequest(method="POST", url="https://" + host + path, data=body.encode(),
                 headers={"Content-Type": "application/json", "Accept": "application/json"})
os.chdir(os.path.dirname(os.path.abspath(__file__)))
auth = SigV4Auth(creds, "bedrock", "us-east-1")
auth.add_auth(req)
authz = req.headers['Authorization']
del req.headers['Authorization']
# add_auth adds Host internally only to the canonical form; recompute the artefacts
cr = auth.canonical_request(req)
sts = auth.string_to_sign(req, cr)
sig = auth.signature(sts, req)
open("context.json", "w").write(json.dumps(ctx, indent=4) + "\n")
open("request.txt", "w").write(f"POST {path} HTTP/1.1\nHost:{host}\nContent-Type:application/json\nAccept:application/json\n\n{body}")
open("header-canonical-request.txt", "w").write(cr)
open("header-string-to-sign.txt", "w").write(sts)
open("header-signature.txt", "w").write(sig)
signed = f"POST {path} HTTP/1.1\nHost:{host}\nContent-Type:application/json\nAccept:application/json\n"
signed += f"X-Amz-Date:{req.headers['X-Amz-Date']}\nX-Amz-Security-Token:{req.headers['X-Amz-Security-Token']}\nAuthorization:{authz}\n\n{body}"
open("header-signed-request.txt", "w").write(signed)
assert authz.endswith('Signature=' + sig), (authz, sig)
print(botocore.__version__)
