"""Demo data for referrals (synthetic, idempotent)."""

from safehaven.accounts.models import Membership, Site
from safehaven.accounts.permissions import Perm
from safehaven.referrals import actions
from safehaven.referrals.models import Referral, ReferralPolicy


def demo_referrals(stdout) -> None:
    """Give every site the default follow-up policy and the demo a referral to follow."""
    from safehaven.directory.models import Service
    from safehaven.people.models import CareTeamMember

    for site in Site.objects.all():
        ReferralPolicy.objects.get_or_create(site=site)
    if Referral.objects.exists():
        return
    service = Service.objects.filter(status="active").select_related("organization").order_by("pk").first()
    if service is None:
        return
    for member in CareTeamMember.objects.filter(active=True).select_related("person", "user").order_by("pk")[:200]:
        membership = Membership.objects.filter(
            user=member.user, site=member.person.site, active=True
        ).select_related("role").first()
        if membership is None or not membership.role.grants(Perm.CASE_MANAGE):
            continue
        referral = actions.create_referral(
            by=member.user, person=member.person, need_domain="housing", service=service,
            requested_categories=["identity_contact"],
        )
        actions.send_referral(by=member.user, referral=referral)
        stdout.write(f"referrals: one demo referral to {service.name}\n")
        return
