"""Passport pages and published documents, split by who they serve:

- `published`: the documents anyone fetches without signing in (keys, did:web, issuer
  metadata, status lists);
- `holding`: the volunteer's passport, each credential, its download;
- `issuing`: a verifier adding a credential, finding what their organisation issued, and
  revoking, suspending or reinstating it;
- `sharing`: an organisation asking for a check and seeing the verified result, and the
  volunteer consenting, declining, and withdrawing what they shared.

All are thin: they parse input, call one selector or service, and render.
"""
