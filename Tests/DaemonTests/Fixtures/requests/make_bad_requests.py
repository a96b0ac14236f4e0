#!/usr/bin/env python3
"""Writes bad/: malformed and hostile request files, one fault each, and bad/expected.json:
for each file the field its error must name (null: the file as a whole) and a phrase its
reason must contain. Run from this folder; the files are committed, this script says how
they were made. Faults that need the file system (symlinks, FIFOs, directories, files that
grow) are made by the spool tests themselves."""
import json, os

cases = {}
def case(name, content, field, phrase):
    data = content if isinstance(content, bytes) else content.encode()
    with open(os.path.join("bad", name), "wb") as f:
        f.write(data)
    cases[name] = {"field": field, "reason": phrase}

def req(**fields):
    return json.dumps(fields)

ok_item = {"prompt": "Where was Norara Gobrevorn born?", "completion": "In Greros, Kovandor."}
os.makedirs("bad", exist_ok=True)
case("empty.json", "", None, "is empty")
case("whitespace-only.json", "  \n\t\n", None, "is not valid JSON")
case("invalid-json.json", '{"forget": [', None, "is not valid JSON")
case("trailing-garbage.json", req(forget=[ok_item]) + " and more", None, "is not valid JSON")
case("single-quotes.json", "{'forget': [{'text': 'a'}]}", None, "is not valid JSON")
case("top-level-array.json", json.dumps([ok_item]), None, "must hold one JSON object")
case("top-level-string.json", '"forget everything"', None, "must hold one JSON object")
case("forget-missing.json", req(reason="no items"), "forget", "is required")
case("forget-null.json", req(forget=None), "forget", "must be an array of items")
case("forget-empty.json", req(forget=[]), "forget", "must not be empty")
case("forget-object.json", req(forget=ok_item), "forget", "must be an array of items")
case("item-string.json", req(forget=["Norara Gobrevorn"]), "forget[0]", "must be an object")
case("item-prompt-only.json", req(forget=[{"prompt": "Where?"}]), "forget[0].completion", "is required with")
case("item-completion-only.json", req(forget=[{"completion": "There."}]), "forget[0].prompt", "is required with")
case("item-both-forms.json", req(forget=[dict(ok_item, text="both")]), "forget[0]", "use one form")
case("item-no-content.json", req(forget=[{"id": "x"}]), "forget[0]", "needs")
case("item-blank-completion.json", req(forget=[{"prompt": "Where?", "completion": "  \n "}]), "forget[0].completion", "blank")
case("item-number-text.json", req(forget=[{"text": 42}]), "forget[0].text", "must be a string")
case("item-null-text.json", req(forget=[{"text": None}]), "forget[0].text", "must be a string")
case("item-unknown-field.json", req(forget=[{"text": "a", "weight": 2}]), "forget[0].weight", "is not an item field")
case("item-path-id.json", req(forget=[{"id": "../../etc/passwd", "text": "a"}]), "forget[0].id", "letters, digits")
case("unknown-field.json", req(forget=[ok_item], forgett=[ok_item]), "forgett", "is not a request field")
case("id-path.json", req(id="../../etc/passwd", forget=[ok_item]), "id", "letters, digits")
case("id-absolute-path.json", req(id="/etc/passwd", forget=[ok_item]), "id", "letters, digits")
case("id-hidden.json", req(id=".hidden", forget=[ok_item]), "id", "starting with a letter or digit")
case("id-number.json", req(id=7, forget=[ok_item]), "id", "must be a string")
case("id-too-long.json", req(id="a" * 200, forget=[ok_item]), "id", "1–128")
case("id-control-characters.json", req(id="req\u0007\u001b[2J", forget=[ok_item]), "id", "letters, digits")
case("submitted-by-object.json", req(submitted_by={"name": "x"}, forget=[ok_item]), "submitted_by", "must be a string")
case("reason-too-long.json", req(reason="r" * 5000, forget=[ok_item]), "reason", "more than the limit of 4096")
case("huge-text.json", req(forget=[{"text": "x" * (17 << 10)}]), "forget[0].text", "more than the limit of 16384")
case("too-many-items.json", req(forget=[{"text": "fact %d" % i} for i in range(1001)]), "forget", "more than the limit of 1000")
case("too-many-with-retain.json", req(forget=[{"text": "fact %d" % i} for i in range(600)],
                                      retain=[{"text": "keep %d" % i} for i in range(600)]), None, "more than the limit of 1000")
case("deep-nesting.json", "[" * 10000, None, "deeper than the limit")
case("deep-nesting-in-item.json", '{"forget": [{"text": "a", "id": ' + "[" * 20 + "]" * 20 + "}]}", None, "deeper than the limit")
case("invalid-utf8.json", b'{"forget": [{"text": "caf\xe9"}]}', None, "not valid UTF-8")
case("overlong-utf8.json", b'{"forget": [{"text": "\xc0\xaf"}]}', None, "not valid UTF-8")
case("nul-byte.json", b'{"forget": [{"text": "a\x00b"}]}', None, "NUL byte")
case("escaped-nul.json", '{"forget": [{"prompt": "a\\u0000b", "completion": "c"}]}', "forget[0].prompt", "NUL character")
case("duplicate-item-ids.json", req(forget=[{"id": "one", "text": "a"}, {"id": "one", "text": "b"}]), "forget", "two items with the id")
case("duplicate-item-content.json", req(forget=[ok_item, ok_item]), "forget", "two items with the id")
case("retain-not-array.json", req(forget=[ok_item], retain="everything else"), "retain", "must be an array of items")
case("options-not-object.json", req(forget=[ok_item], options=["dipo"]), "options", "must be an object")
case("option-unknown.json", req(forget=[ok_item], options={"temperature": 1}), "options.temperature", "is not a request option")
case("option-method-not-allowed.json", req(forget=[ok_item], options={"method": "gradascent"}), "options.method", "allows")
case("option-epochs-too-many.json", req(forget=[ok_item], options={"epochs": 1000}), "options.epochs", "from 1 to")
case("option-epochs-fractional.json", req(forget=[ok_item], options={"epochs": 2.5}), "options.epochs", "whole number")
case("option-epochs-string.json", req(forget=[ok_item], options={"epochs": "5"}), "options.epochs", "whole number")
case("option-learning-rate-negative.json", req(forget=[ok_item], options={"learning_rate": -1e-4}), "options.learning_rate", "above 0")
case("option-learning-rate-too-high.json", req(forget=[ok_item], options={"learning_rate": 1}), "options.learning_rate", "at most")
case("option-utility-drop-loosened.json", req(forget=[ok_item], options={"max_utility_drop": 0.5}), "options.max_utility_drop", "only tighten")
case("withdraw-with-forget.json", req(withdraw=["req-1"], forget=[ok_item]), "forget", "cannot also have")
case("withdraw-empty.json", req(withdraw=[]), "withdraw", "non-empty array")
case("withdraw-path.json", req(withdraw=["../../etc/passwd"]), "withdraw[0]", "request id")
case("bulk-bad-line.jsonl", json.dumps(ok_item) + "\n{not json}\n", "line 2", "is not valid JSON")
case("bulk-blank.jsonl", "\n  \n\n", None, "has no item lines")
case("bulk-array-line.jsonl", json.dumps([ok_item]) + "\n", "line 1", "must be an object")

with open(os.path.join("bad", "expected.json"), "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(cases), "cases")
