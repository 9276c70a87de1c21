"""HTTPS listeners on a certificate of the rehearsed account that moto's ACM does not hold.

An HTTPS listener names an ACM certificate (prod: ``alb.certificate_arn``). moto checks it against
its own ACM and refuses any other: ``CreateListener`` answers ``CertificateNotFound`` ("Supplied
certificate was not found"), so prod's ``aws_lb_listener`` could not be created. A rehearsal has no
certificate of the real account (moto's ACM issues its own ARNs, so a stand-in could not carry the
ARN the environment names). This lets ELBv2 (``CreateListener``, ``ModifyListener``) accept an ACM
certificate ARN *of the load balancer's own account and region* that moto's ACM does not hold; the
listener keeps and answers it as given. Any other certificate is still refused as before (another
account's or region's, an unknown IAM server certificate), as AWS refuses them.

The trade-off: a rehearsal no longer proves that the certificate exists, is issued, or covers
``alb.certificate_domain``; only AWS can (a plan against the real account reads it). It is a gap of
moto bridged in the local cloud's server process only; the modules are not changed.
"""

from __future__ import annotations

import re

_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):certificate/[0-9a-f-]+$")


def stands_in(arn: str, account_id: str, region: str) -> bool:
    """Whether ARN is an ACM certificate of ACCOUNT_ID and REGION that moto's ACM does not hold."""
    from moto.acm.models import CertificateNotFound, acm_backends

    match = _ACM_ARN.match(arn or "")
    if not match or (match["account"], match["region"]) != (account_id, region):
        return False
    try:
        acm_backends[account_id][region].get_certificate(arn)
    except CertificateNotFound:
        return True
    return False


def install() -> None:
    """Patch moto's ELBv2 certificate checks (idempotent)."""
    from moto.elbv2 import models

    if getattr(models, "orchestrator_certificates", False):
        return
    register = models.register_certificate
    exists = models.ELBv2Backend._certificate_exists

    def register_certificate(account_id: str, region: str, arn_certificate: str, arn_user: str) -> None:
        if not stands_in(arn_certificate, account_id, region):
            register(account_id, region, arn_certificate, arn_user)

    def _certificate_exists(self, certificate_arn: str) -> bool:
        return stands_in(certificate_arn, self.account_id, self.region_name) or exists(self, certificate_arn)

    models.register_certificate = register_certificate  # the name CreateListener calls
    models.ELBv2Backend._certificate_exists = _certificate_exists  # ModifyListener's check
    models.orchestrator_certificates = True
