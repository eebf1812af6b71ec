#!/usr/bin/env python3
"""Builds data/infilling/stories.jsonl, the story-infilling stand-in for ROCStories (which cannot be
redistributed): three-sentence OpenWebText prompts split into a beginning (s1), a middle (s2, the
sentence to infill) and an ending (s3).

Run from the repository root:  python3 scripts/data/make_infilling_stories.py
Reads data/openwebtext/prompts.txt and keeps, from line 1,001 on (the first 1,000 lines are the
sentence-continuation set), the first 1,000 prompts that split into exactly three sentences of at
least three words each. Sentences end at ".", "!" or "?" followed by a space (the prompts hold only
letters, digits, spaces and ,.!?). Records 0-899 are for training, 900-999 for testing (the
reference's 900/100 split). Deterministic: no randomness.
"""
import json, os, re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
source = os.path.join(ROOT, "data", "openwebtext", "prompts.txt")
target = os.path.join(ROOT, "data", "infilling", "stories.jsonl")

stories = []
with open(source, encoding="utf-8") as f:
    for number, line in enumerate(f, start=1):
        if number <= 1000 or not line.strip():
            continue
        parts = re.split(r"(?<=[.!?]) +", line.strip())
        if len(parts) == 3 and all(len(p.split()) >= 3 for p in parts):
            stories.append({"line": number, "s1": parts[0], "s2": parts[1], "s3": parts[2],
                            "split": "train" if len(stories) < 900 else "test"})
        if len(stories) == 1000:
            break

os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target, "w", encoding="utf-8") as out:
    for s in stories:
        out.write(json.dumps(s, ensure_ascii=False) + "\n")
print(f"{len(stories)} stories ({sum(s['split'] == 'train' for s in stories)} train) -> {os.path.relpath(target, ROOT)}")
