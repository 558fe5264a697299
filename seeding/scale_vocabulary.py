"""Words that `seed_scale` builds personas, titles and safety issues from.

Lists, not prose: the loader indexes them by hashes of a row's number, so
editing a list changes the rows loaded after the edit, never the ones before.
Titles mix a few very common words (the templates) with a long tail (places,
rare words picked with a skew), so title search meets both kinds of term.
"""

# Title templates for format(): %1$s subject, %2$s another subject of the
# niche, %3$s a number, %4$s the year the video was made, %5$s a place.
# The first ones are picked most often.
TITLE_TEMPLATES = (
    "%1$s: how it actually works",
    "%3$s %1$s tips nobody tells you",
    "The truth about %1$s",
    "%1$s, explained",
    "Why everyone gets %1$s wrong",
    "%1$s in sixty seconds",
    "I tried %1$s for %3$s days",
    "%1$s vs %2$s: which is better?",
    "Is %1$s still worth it in %4$s?",
    "%1$s in %5$s",
    "Stop making these %1$s mistakes",
    "What nobody tells you about %1$s",
    "The history of %1$s",
    "%3$s things I wish I knew about %1$s",
    "Chasing %1$s in %5$s",
    "%1$s on a budget",
    "The %4$s guide to %1$s",
    "Ranking every kind of %1$s",
    "%1$s myths, tested",
    "From %1$s to %2$s in one weekend",
)

# Endings some titles get, after the template.
QUALIFIERS = (
    "for beginners",
    "at home",
    "the easy way",
    "(honest review)",
    "on a Sunday",
    "with no equipment",
    "in one minute",
    "(my mistakes)",
    "for kids",
    "for busy people",
    "the lazy way",
    "(part 2)",
    "(part 3)",
    "— what changed",
    "without the hype",
    "before you start",
    "after one year",
    "(science-backed)",
    "from scratch",
    "under pressure",
    "like a pro",
    "for under ten euros",
    "in the rain",
    "at night",
)

# Places, most frequent first (picked with a skew: the tail is rare).
PLACES = (
    "London",
    "Tokyo",
    "New York",
    "Paris",
    "Berlin",
    "Lisbon",
    "Mexico City",
    "Seoul",
    "Rome",
    "Barcelona",
    "Vienna",
    "Istanbul",
    "Bangkok",
    "Sydney",
    "Toronto",
    "Amsterdam",
    "Kyoto",
    "Copenhagen",
    "Buenos Aires",
    "Cape Town",
    "Marrakesh",
    "Edinburgh",
    "Prague",
    "Hanoi",
    "Oslo",
    "Venice",
    "Split",
    "Porto",
    "Krakow",
    "Reykjavik",
    "Tbilisi",
    "Valparaíso",
    "Ljubljana",
    "Tallinn",
    "Luang Prabang",
    "Oaxaca",
    "Zanzibar",
    "Bergen",
    "Hokkaido",
    "Tromsø",
    "Sarajevo",
    "Cusco",
    "Kotor",
    "Ushuaia",
    "Svalbard",
    "Gjirokastër",
    "Chefchaouen",
    "Faroe Islands",
)

# A rare word some titles end with, picked with a strong skew: a search for
# one of the last ones finds a handful of videos among a million.
RARE_WORDS = (
    "remastered",
    "uncut",
    "director's cut",
    "live",
    "redux",
    "extended",
    "unplugged",
    "revisited",
    "deluxe",
    "encore",
    "bonus round",
    "after dark",
    "speed edition",
    "marzipan",
    "zeppelin",
    "quokka",
    "obsidian",
    "kumquat",
    "gramophone",
    "narwhal",
    "sassafras",
    "axolotl",
    "kerfuffle",
    "bamboozle",
    "quixotic",
    "zephyr",
    "vermilion",
    "fjordland",
    "lighthouse keeper",
    "moonquake",
    "thunderclap",
    "wunderkammer",
    "xylophone",
    "yodel",
    "borscht",
    "periwinkle",
)

NUMBERS = (3, 5, 7, 10, 12, 15, 20, 30, 50, 100)

FIRST_NAMES = (
    "Nova", "Marco", "Ada", "Pete", "Lena", "Sam", "Priya", "Diego", "Mei", "Omar",
    "Ines", "Tomás", "Yuki", "Chloe", "Kwame", "Freya", "Rafael", "Aisha", "Jonas", "Leila",
    "Mateo", "Hana", "Felix", "Zara", "Ravi", "Elena", "Kai", "Noor", "Bruno", "Sofia",
    "Ethan", "Amara", "Lukas", "Mira", "Theo", "Anya", "Hugo", "Nia", "Oskar", "Lucia",
    "Idris", "Maya", "Santiago", "Ingrid", "Kenji", "Esme", "Malik", "Clara", "Arjun", "Greta",
    "Tariq", "Rosa", "Emil", "Keiko", "Dario", "Saoirse", "Nikhil", "Alba", "Leon", "Wren",
    "Jude",
)  # fmt: skip

LAST_NAMES = (
    "Reyes", "Bellini", "Okafor", "Fischer", "Nakamura", "Haddad", "Kowalski", "Silva",
    "Andersen", "Mensah", "Dubois", "Novak", "Chen", "Patel", "O'Brien", "Moreau",
    "Lindqvist", "Ferreira", "Kim", "Rossi", "Nguyen", "Schmidt", "Costa", "Ivanova",
    "Hughes", "Tanaka", "Alvarez", "Bakker", "Sato", "Mwangi", "Larsen", "Petrov",
    "Romero", "Walsh", "Yilmaz", "Dimitrov", "Herrera",
)  # fmt: skip

VOICES = ("warm", "rich", "calm", "energetic", "soft", "bright", "deep", "dry")
PACES = ("brisk", "relaxed", "measured", "fast", "slow")
REGISTERS = ("casual", "friendly", "professional", "playful", "reflective")
LANGUAGES = ("en-US", "en-US", "en-US", "en-GB", "en-AU", "de-DE", "es-ES", "fr-FR")

# Safety issues: (category, message, evidence artifact, script excerpt or "").
ISSUES = (
    (
        "medical_claim",
        "Presents a health claim without a source.",
        "script",
        "This simple trick cures it for good.",
    ),
    ("missing_disclaimer", "The outro has no 'not medical advice' line.", "audio", ""),
    ("dangerous_activity", "Viewers may copy a risky move without protection.", "render", ""),
    ("alcohol", "Alcohol shown in a video for a general audience.", "script", "a splash of rum"),
    ("brand_visibility", "A logo is readable for two seconds.", "render", ""),
    ("music_license", "Background track matched a library with attribution terms.", "audio", ""),
    ("profanity", "Mild swear word in the voice-over.", "audio", ""),
    (
        "malware_or_scam",
        "Tells viewers to turn off their antivirus and run a download.",
        "script",
        "Switch off your antivirus first, then grab the file from my bio.",
    ),
    ("piracy", "A download site for copyrighted games is shown on screen.", "render", ""),
    (
        "misleading_health_claim",
        "Promises an impossible result.",
        "script",
        "Ten minutes a day, guaranteed results.",
    ),
    ("body_image", "Before/after framing on the thumbnail.", "thumbnail", ""),
    ("copyright_music", "Plays more than ten seconds of a commercial track.", "audio", ""),
    (
        "financial_advice",
        "Recommends a specific investment as risk-free.",
        "script",
        "You literally cannot lose money on this.",
    ),
    ("violence", "A cartoon fight is shown in close-up.", "render", ""),
    (
        "hate_speech",
        "A slur is quoted in the script.",
        "script",
        "[quoted slur removed by the detector]",
    ),
    ("privacy", "A stranger's face and a street sign are recognisable.", "render", ""),
)

# Detectors named in some issues: keys the pipeline adds that the admin keeps.
DETECTORS = ("claims-classifier-v3", "frame-labeller-2", "audio-match-7", "guard-2")

PUBLISH_ERRORS = (
    "{channel}: the channel answered 403: daily upload quota used (QUOTA_EXCEEDED).",
    "{channel}: the channel did not answer: timed out.",
    "{channel}: the channel answered 422: video rejected by the platform's checks.",
    "{channel}: the channel answered 500: internal error.",
)
