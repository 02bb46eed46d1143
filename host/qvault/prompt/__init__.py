"""The local unlock prompt: pinentry over Assuan, or a Tk dialog as a fallback."""

from qvault.prompt.chooser import PasswordPrompt, find_prompt

__all__ = ["PasswordPrompt", "find_prompt"]
