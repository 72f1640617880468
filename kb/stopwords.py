"""Stop words dropped before matching, Russian and English, after lowercasing and ё→е.

Kept short on purpose: negations ("не", "not", "no") and question words that change the meaning of a
help-desk question ("когда", "сколько", "where", "when") stay in.
"""

RUSSIAN = frozenset(
    """
    а в во вот все всё да для до же за и из или им их к как ко ли либо мне мной меня мой моя мое мои
    на над о об обо от по под при про с со так то того тоже той том ту у уже чтобы что чем это этот
    эта эти этого этой я ты вы мы он она оно они его ее её их нам вам вас нас ему ей им бы был была
    было были быть есть ну ж ведь вообще просто пожалуйста подскажите скажите здравствуйте привет
    добрый день можно нужно надо хочу хотел хотела могу ли
    """.replace("ё", "е").split()
)

ENGLISH = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about", "to", "from", "in", "on", "into", "onto", "over", "under", "up", "down", "out", "off", "is", "am", "are", "was", "were", "be", "been", "being", "do", "does", "did", "doing", "have", "has", "had", "having", "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you", "your", "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "theirs", "this", "that", "these", "those", "there", "here", "so", "than", "too", "very", "just", "also", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "please", "hi", "hello", "hey", "thanks", "thank", "im", "ive", "id"]
)
