"""Load scenario: staff working a clinic day, against a production-like server on 127.0.0.1.

Run through `bench/load.py` (which prepares the database, the signed-in sessions and the
server). Each simulated staff member holds their own session (both factors, made before the
run) and does a realistic mix: worklist, charts, referrals, the directory, FHIR reads.
The server sits behind a TLS-terminating proxy in production, so every request says
`X-Forwarded-Proto: https`.
"""

import json
import os
import random

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["SAFEHAVEN_LOAD_PLAN"]).read())  # noqa: SIM115 - read once at import
_next = iter(range(10**9))


class Staff(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self):
        me = PLAN["sessions"][next(_next) % len(PLAN["sessions"])]
        self.client.headers.update({
            "X-Forwarded-Proto": "https",
            "Cookie": f"{PLAN['cookie_name']}={me['session']}",
        })
        self.people = me["people"]
        self.clinical = me.get("clinical", True)  # advocates do not read clinical FHIR resources
        self.rng = random.Random(me["session"])

    def _person(self) -> str:
        return self.rng.choice(self.people)

    @task(30)
    def chart(self):
        self.client.get(f"/people/{self._person()}/", name="/people/[id]/ (chart)")

    @task(25)
    def worklist(self):
        self.client.get("/people/", name="/people/ (worklist)")

    @task(10)
    def referral_list(self):
        self.client.get("/referrals/", name="/referrals/ (referral list)")

    @task(10)
    def directory_search(self):
        words = self.rng.choice(["service 1", "service 2", "clinic", "food", ""])
        self.client.get("/directory/", params={"q": words, "free": "on"}, name="/directory/?q= (search)")

    @task(10)
    def fhir_read(self):
        self.client.get(f"/fhir/r4/Patient/{self._person()}", name="/fhir/r4/Patient/[id]")

    @task(5)
    def fhir_search(self):
        if not self.clinical:
            return self.referral_list()
        self.client.get("/fhir/r4/Encounter", params={"patient": self._person()}, name="/fhir/r4/Encounter?patient=")

    @task(5)
    def worklist_search(self):
        self.client.get("/people/", params={"q": self.rng.choice(["ana", "rosa", "sam", "li"])},
                        name="/people/?q= (worklist search)")

    @task(5)
    def health(self):
        self.client.get("/", name="/ (home)")
