"""Themes discovered in comments no theme covers yet, on this machine: TF-IDF and non-negative
matrix factorisation, in numpy. No comment text leaves it.

Customers say one thing in many wrappings ("Courier never rang the bell.", "Disappointed: courier
never rang the bell. Please fix this."). Comments are first folded into the shortest comment whose
words they all contain (a root), so near-duplicates always share a theme and the factorisation
sees what is said, not how often it is wrapped. Each theme's phrases are its roots' own words, so
accepting it covers exactly the comments it was found in (docs/metrics.md, "Comment themes")."""

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from metrics.themes.text import stem, terms, words

MAX_THEMES = 8
COMPONENTS = 30
MAX_DF = 0.1
MIN_COMMENTS = 5
PHRASES = 5
TERMS = 5
# A root takes a comment when it has at least two words and is at least this share of the
# comment's words: "great" alone does not swallow every comment that says "great".
ROOT_SHARE = 0.3
MAX_FORMS = 3000
METHOD = (
    "TF-IDF (words and word pairs) and NMF on the comments no theme covers, "
    "near-duplicates folded into their shortest form first"
)


@dataclass
class Root:
    words: frozenset[str]
    text: str
    comments: int = 0
    forms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    name: str
    phrases: list[str]
    comments: int
    terms: list[str]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .!?,;:")


def fold(comments: list[str]) -> list[Root]:
    """Near-duplicates folded: each comment joins the largest root whose words it contains."""
    forms: dict[frozenset[str], tuple[int, str]] = {}
    for text in comments:
        words = frozenset(terms(text))
        if not words:
            continue
        count, shortest = forms.get(words, (0, text))
        forms[words] = (count + 1, min(shortest, _clean(text), key=len))
    ordered = sorted(forms.items(), key=lambda f: (len(f[0]), -f[1][0]))[:MAX_FORMS]
    roots: list[Root] = []
    for words, (count, text) in ordered:
        home = max(
            (
                r
                for r in roots
                if len(r.words) >= 2
                and len(r.words) >= ROOT_SHARE * len(words)
                and r.words <= words
            ),
            key=lambda r: len(r.words),
            default=None,
        )
        if home is None:
            home = Root(words, text)
            roots.append(home)
        home.comments += count
        home.forms.append(text)
    return roots


def _features(words: frozenset[str], text: str) -> list[str]:
    ordered = [w for w in terms(text) if w in words]
    return list(words) + [f"{a} {b}" for a, b in itertools.pairwise(ordered)]


def discover(
    comments: list[str], *, max_themes: int = MAX_THEMES, min_comments: int = MIN_COMMENTS
) -> list[Found]:
    """Themes in `comments`, most comments first; those with fewer than `min_comments` are left
    out. The same comments always give the same themes."""
    roots = fold(comments)
    if not roots:
        return []
    groups = _cluster(roots, max_themes) if len(roots) > 1 else [[0]]
    found = []
    for members, top in groups_with_terms(roots, groups):
        count = sum(roots[i].comments for i in members)
        if count < min_comments:
            continue
        ranked = sorted(members, key=lambda i: -roots[i].comments)
        phrases = [roots[i].text for i in ranked[:PHRASES]]
        found.append(Found(name=phrases[0][:80], phrases=phrases, comments=count, terms=top))
    return sorted(found, key=lambda f: -f.comments)[:max_themes]


def groups_with_terms(
    roots: list[Root], groups: list[list[int]]
) -> list[tuple[list[int], list[str]]]:
    """Each group with its most frequent words across its comments, each as customers most
    often wrote it ("sizes", not the stem "siz")."""
    written: dict[str, Counter[str]] = {}
    for root in roots:
        for word in words(root.text):
            written.setdefault(stem(word), Counter())[word] += root.comments
    result = []
    for members in groups:
        counts: Counter[str] = Counter()
        for i in members:
            for term in roots[i].words:
                counts[term] += roots[i].comments
        top = [t for t, _ in counts.most_common(TERMS)]
        result.append(
            (members, [written[t].most_common(1)[0][0] if t in written else t for t in top])
        )
    return result


def tfidf(docs: list[list[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    """Rows of sublinear term frequency times smoothed inverse document frequency, each of
    unit length: log(1 + tf) * (1 + log((1 + n) / (1 + df)))."""
    vocabulary: dict[str, int] = {}
    rows, cols, values = [], [], []
    for i, doc in enumerate(docs):
        for word, count in Counter(doc).items():
            rows.append(i)
            cols.append(vocabulary.setdefault(word, len(vocabulary)))
            values.append(1 + math.log(count))
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(len(docs), len(vocabulary)))
    df = np.bincount(matrix.indices, minlength=len(vocabulary))
    # A word in most comments ("not", "never") joins topics that have nothing else in common.
    # Among a few comments, a word in two of them is what they share.
    common = df > max(2, MAX_DF * len(docs))
    idf = np.where(common, 0.0, 1 + np.log((1 + len(docs)) / (1 + df)))
    matrix = matrix.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    matrix = sparse.diags(1 / np.where(norms > 0, norms, 1)) @ matrix
    return matrix.tocsr(), list(vocabulary)


def nmf(matrix: sparse.csr_matrix, k: int, *, iterations: int = 1000) -> NDArray[np.float64]:
    """W of X ~ W H (W, H >= 0) by Lee and Seung's multiplicative updates for the Frobenius
    norm, from a seeded start, so the same comments give the same themes."""
    rng = np.random.default_rng(0)
    n, m = matrix.shape
    scale = math.sqrt(matrix.mean() / k) if matrix.nnz else 1.0
    w = rng.uniform(0.1, 1.0, (n, k)) * scale
    h = rng.uniform(0.1, 1.0, (k, m)) * scale
    tiny = 1e-10
    for _ in range(iterations):
        h *= np.asarray(matrix.T.dot(w)).T / (w.T @ w @ h + tiny)
        w *= np.asarray(matrix.dot(h.T)) / (w @ (h @ h.T) + tiny)
    return w


def _cluster(roots: list[Root], max_themes: int) -> list[list[int]]:
    """NMF on the roots' TF-IDF, each row weighted by how many comments the root stands for;
    a root goes to its strongest component. More components than themes shown: the words of
    service comments overlap little, and a component that mixes topics names none."""
    matrix, _ = tfidf([_features(r.words, r.text) for r in roots])
    weights = np.array([math.log1p(r.comments) for r in roots])
    matrix = (sparse.diags(weights) @ matrix).tocsr()
    # As many components as groups of roots linked by a shared telling word: roots that share
    # none are different themes, and NMF splits a linked group where its words part.
    linked = (matrix @ matrix.T) > 0
    groups_found, _ = connected_components(linked, directed=False)
    k = max(1, min(COMPONENTS, int(groups_found)))
    loadings = nmf(matrix, k)
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(loadings):
        if row.max() > 0:
            groups.setdefault(int(row.argmax()), []).append(i)
    return list(groups.values())
