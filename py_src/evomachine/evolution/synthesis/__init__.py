"""Code synthesis from execution history: competing synthesizers, held-out selection, calibration.

    result = await synthesize(TaskSpec(name="route", prompt="...", output_schema={"enum": [...]}),
                              records, llm=None, version="v1")
    result.code, result.synthesizer, result.scores, result.calibration, result.heldout_agreement
"""

from evomachine.evolution.synthesis.select import synthesize
from evomachine.evolution.synthesis.spec import (
    CalibrationBin,
    SynthesisError,
    SynthesisResult,
    TaskSpec,
)

__all__ = ["CalibrationBin", "SynthesisError", "SynthesisResult", "TaskSpec", "synthesize"]
