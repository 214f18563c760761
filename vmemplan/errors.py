"""Exceptions raised by the pure core; the CLI maps them to exit codes."""


class VmemplanError(Exception):
    """Base class of every error the core raises on purpose."""


class InputError(VmemplanError):
    """A value given by the user is malformed or out of range (exit code 2).

    ``option`` names the option or config entry the value came from, so the message can
    be printed as one line: ``--size: 3X: unknown suffix 'X'``.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


class GeometryError(InputError):
    """A well-formed geometry that the kernel would refuse or mishandle (exit code 2)."""


class InternalError(VmemplanError):
    """A bug in vmemplan (exit code 3)."""


class Interrupted(BaseException):
    """SIGINT (^C) in the console script (exit code 130).

    Raised by the SIGINT handler the console script installs before it imports anything
    else, in place of KeyboardInterrupt: click turns a KeyboardInterrupt into an empty line
    on stderr and Abort, and one raised while a module is imported would end in a traceback.
    """
