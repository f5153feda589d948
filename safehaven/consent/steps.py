"""The steps of care that need the person's say, and what to ask before each one.

The person can say yes, say no, or stop at any moment. There is deliberately no step,
answer or option for restraint: the software never offers it.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CareStep:
    """One step of care: what it is, what to ask, and which other steps it needs."""

    code: str
    label: object
    question: object
    kind: str = "permission"  # "permission" (may we?) or "preference" (how would you like it?)
    requires: tuple[str, ...] = ()
    choices: tuple[tuple[str, object], ...] = field(default_factory=tuple)


STEPS: tuple[CareStep, ...] = (
    CareStep(
        "interpreter", _("Interpreter"),
        _("Would you like an interpreter for today's visit?"), kind="preference",
    ),
    CareStep(
        "clinician_gender", _("Who examines them"),
        _("Would you prefer a clinician of a particular gender?"), kind="preference",
        choices=(
            ("", _("No preference")), ("woman", _("A woman")), ("man", _("A man")),
            ("nonbinary", _("A non-binary clinician")),
        ),
    ),
    CareStep(
        "chaperone", _("Chaperone"),
        _("Would you like another staff member or a support person in the room during the exam?"),
        kind="preference",
    ),
    CareStep(
        "touch", _("Touch"),
        _("Some parts of the exam need me to touch you. Is that all right? "
          "I will tell you before each part and you can say stop at any time."),
    ),
    CareStep(
        "undress", _("Undressing or a gown"),
        _("For this part you would need to take off some clothes or change into a gown. "
          "Is that all right? You can keep anything on that you want to."),
    ),
    CareStep(
        "exam_head_neck", _("Exam: head, neck and mouth"),
        _("May I look at and gently feel your head, neck and mouth?"), requires=("touch",),
    ),
    CareStep(
        "exam_heart_lungs", _("Exam: heart and lungs"),
        _("May I listen to your heart and lungs with a stethoscope?"), requires=("touch",),
    ),
    CareStep(
        "exam_abdomen", _("Exam: belly"),
        _("May I press gently on your belly?"), requires=("touch",),
    ),
    CareStep(
        "exam_skin", _("Exam: skin"),
        _("May I look at the skin on your arms, legs and back?"),
    ),
    CareStep(
        "exam_limbs", _("Exam: arms and legs"),
        _("May I check how your arms and legs move?"), requires=("touch",),
    ),
    CareStep(
        "exam_breast", _("Exam: breast or chest"),
        _("May I examine your breasts or chest?"), requires=("touch", "undress"),
    ),
    CareStep(
        "pelvic_genital", _("Pelvic or genital exam"),
        _("May I do a pelvic or genital exam? I will explain each part first, "
          "and you can ask me to stop at any time."),
        requires=("touch", "undress"),
    ),
    CareStep(
        "photo_clinical", _("Photographs for the medical record"),
        _("May I take photographs for your medical record? Only your care team would see them."),
    ),
    CareStep(
        "photo_forensic", _("Photographs that could be used as evidence"),
        _("May I take photographs that could be used as evidence later? "
          "They are only shared if you decide so."),
    ),
)
STEP_BY_CODE = {step.code: step for step in STEPS}
PERMISSION_STEPS = tuple(s.code for s in STEPS if s.kind == "permission")


def step(code: str) -> CareStep:
    """Return the step with this code, or raise ValueError."""
    try:
        return STEP_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown care step: {code}") from None
