"""The household list's name search: one stored set of name words per household.

Each household keeps the words of its own name and of all its members' given and family
names, recomputed in the transaction that changes one of them (the household and member
services, the demo data through them, and the benchmark after its bulk writes). On
PostgreSQL the words are a ``tsvector`` column, ``households.name_words`` ('simple'
configuration, GIN index); on SQLite, the embedded default, a row of the FTS5 table
``household_names``. A search reads that one index instead of every member of every
household, so it costs about the same at ten thousand households as at a million. The list
does not read them through their index, though: each household also keeps the beginnings of
its words (``household_prefixes``, on both engines, with the household's place in the page
order), and a search walks those of one word in page order and stops at a full page, so a
common name costs what a rare one does (decision 0038).

Every word searched for must begin some word of the household's names: "jan will" finds
the household named Jansen with a member Willems, even though no single name has both.
Diacritics do not count ("ozd" finds Özdemir): SQLite's tokenizer removes them, and
PostgreSQL's 'simple' configuration, which keeps them, reads the names through a fixed
table of accented Latin letters (no extension needed). The tables and the indexes exist
only where the migrations (0015, 0022) made them; the models leave them out.
"""
