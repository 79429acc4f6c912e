"""Walking the nesting graphs of groups and roles."""

from collections import deque
from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def shortest_path(edges: Iterable[tuple[K, K]], start: K, goal: K) -> list[K] | None:
    """The shortest chain ``start → … → goal`` along directed ``(from, to)`` edges, or None."""
    successors: dict[K, list[K]] = {}
    for source, target in edges:
        successors.setdefault(source, []).append(target)
    paths = {start: [start]}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            return paths[current]
        for following in successors.get(current, ()):
            if following not in paths:
                paths[following] = [*paths[current], following]
                queue.append(following)
    return None
