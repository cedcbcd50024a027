"""The technique modules; importing :func:`secpillar.gameday.load_all` registers them all."""

TECHNIQUE_MODULES = (
    "secpillar.gameday.techniques.logging",
    "secpillar.gameday.techniques.network",
    "secpillar.gameday.techniques.storage",
    "secpillar.gameday.techniques.sharing",
    "secpillar.gameday.techniques.identity",
    "secpillar.gameday.techniques.credentials",
    "secpillar.gameday.techniques.impact",
    "secpillar.gameday.techniques.not_emulated",
)
