"""One error type for everything a user can get wrong, always with what to do about it."""


class GliomaAIError(ValueError):
    """A problem with the user's input: says what is wrong and how to fix it."""

    def __init__(self, problem: str, hint: str = ""):
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem} {hint}".strip())
