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
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

PLAN = json.loads(open(os.environ["SAFEHAVEN_LOAD_PLAN"]).read())  # noqa: SIM115 - read once at import
_next = iter(range(10**9))


class Staff(FastHttpUser):
    # FastHttpUser (geventhttpclient), not HttpUser (requests): the load generator shares the
    # two CPUs with the server, and requests-based users cost several times more CPU a request.
    wait_time = between(0.05, 0.3)

    def on_start(self):
        me = PLAN["sessions"][next(_next) % len(PLAN["sessions"])]
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": f"{PLAN['cookie_name']}={me['session']}",
        }
        self.people = me["people"]
        self.clinical = me.get("clinical", True)  # advocates do not read clinical FHIR resources
        self.rng = random.Random(me["session"])

    def _get(self, path: str, name: str, expect: int = 200, **params) -> None:
        # Redirects are not followed: a lost session answers 302 to the sign-in page, which
        # must count as an error, not as a cheap success.
        url = f"{path}?{urlencode(params)}" if params else path
        with self.client.get(url, name=name, headers=self.headers, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} (expected {expect})")

    def _person(self) -> str:
        return self.rng.choice(self.people)

    @task(30)
    def chart(self):
        self._get(f"/people/{self._person()}/", "/people/[id]/ (chart)")

    @task(25)
    def worklist(self):
        self._get("/people/", "/people/ (worklist)")

    @task(10)
    def referral_list(self):
        self._get("/referrals/", "/referrals/ (referral list)")

    @task(10)
    def directory_search(self):
        words = self.rng.choice(["service 1", "service 2", "clinic", "food", ""])
        self._get("/directory/", "/directory/?q= (search)", q=words, free="on")

    @task(10)
    def fhir_read(self):
        self._get(f"/fhir/r4/Patient/{self._person()}", "/fhir/r4/Patient/[id]")

    @task(5)
    def fhir_search(self):
        if not self.clinical:
            return self.referral_list()
        self._get("/fhir/r4/Encounter", "/fhir/r4/Encounter?patient=", patient=self._person())

    @task(5)
    def worklist_search(self):
        self._get("/people/", "/people/?q= (worklist search)", q=self.rng.choice(["ana", "rosa", "sam", "li"]))

    @task(5)
    def health(self):
        self._get("/", "/ (home)", expect=302)  # home sends staff to their worklist
        self.worklist()
