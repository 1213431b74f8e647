"""Text normalisation shared by every package: one stemmer, one typo corrector, one shorthand file.

Answer matching (surveys), theme coding (analysis), guidance retrieval and the
emergency cues (guidance) all read what people type on phones; they use these
same pieces so "sw", "pls" or "traning" mean the same thing everywhere. This
package imports nothing from the project except ``common``.
"""
