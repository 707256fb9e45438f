"""Marks for the documents' message catalogue (scripts/catalogues): a message is translated
where it is shown, and marked where it is written, in whichever layer that is."""


def N_(message: str) -> str:
    """A message to translate where it is used, marked here for the catalogue."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """A message with plural forms, marked here for the catalogue."""
    return singular, plural
