"""The error every invalid experiment raises: it names the field, the value and what is allowed."""

from optviz.core.optimizers.spec import HyperparameterError


class ExperimentError(ValueError):
    """An experiment file or description is invalid. ``field`` is its dotted path."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    @classmethod
    def wrap(cls, error: Exception, prefix: str) -> "ExperimentError":
        """Re-raise a core validation error with the experiment path in front of its field."""
        field = getattr(error, "field", None)
        message = str(error)
        if field and not message.startswith(prefix):
            message = f"{prefix}.{message}" if message.startswith(field) else f"{prefix}: {message}"
        return cls(message, f"{prefix}.{field}" if field else prefix)


__all__ = ["ExperimentError", "HyperparameterError"]
