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
case("invalid-json.json", '{"forget": [', "forget[0]", "is not valid JSON: expected a value at byte offset 12")
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
case("item-unknown-field.json", req(forget=[{"text": "a", "weight": 2}]), "forget[0]", "not an item field, at byte offset 26")
case("item-path-id.json", req(forget=[{"id": "../../etc/passwd", "text": "a"}]), "forget[0].id", "letters, digits")
case("unknown-field.json", req(forget=[ok_item], forgett=[ok_item]), None, "not a request field, at byte offset 99")
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
case("deep-nesting.json", "[" * 10000, "[0]" * 8, "deeper than the limit")
case("deep-nesting-in-item.json", '{"forget": [{"text": "a", "id": ' + "[" * 20 + "]" * 20 + "}]}", "forget[0].id" + "[0]" * 5, "deeper than the limit")
case("invalid-utf8.json", b'{"forget": [{"text": "caf\xe9"}]}', None, "not valid UTF-8")
case("overlong-utf8.json", b'{"forget": [{"text": "\xc0\xaf"}]}', None, "not valid UTF-8")
case("nul-byte.json", b'{"forget": [{"text": "a\x00b"}]}', None, "NUL byte")
case("escaped-nul.json", '{"forget": [{"prompt": "a\\u0000b", "completion": "c"}]}', "forget[0].prompt", "NUL character")
case("duplicate-item-ids.json", req(forget=[{"id": "one", "text": "a"}, {"id": "one", "text": "b"}]), "forget", "two items with the same id, forget[0] and forget[1]")
case("duplicate-item-content.json", req(forget=[ok_item, ok_item]), "forget", "two items with the same id")
case("retain-not-array.json", req(forget=[ok_item], retain="everything else"), "retain", "must be an array of items")
case("options-not-object.json", req(forget=[ok_item], options=["dipo"]), "options", "must be an object")
case("option-unknown.json", req(forget=[ok_item], options={"temperature": 1}), "options", "not a request option")
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

# Issue 13: what lenient readers accept, so that a validator in front of Lethe and Lethe could
# disagree about a request, and what an error file must not repeat.
item_a = '{"text": "a"}'
case("trailing-comma.json", '{"forget": [' + item_a + ',],}', "forget", "no trailing commas")
case("trailing-comma-object.json", '{"forget": [' + item_a + '],}', None, "no trailing commas")
case("repeated-key.json", '{"forget": [{"text": "kept"}], "forget": [{"text": "forgotten instead"}]}', "forget", "given twice")
case("repeated-key-in-item.json", '{"forget": [{"text": "kept", "text": "forgotten instead"}]}', "forget[0].text", "given twice")
case("repeated-key-escaped.json", '{"forget": [{"te\\u0078t": "kept", "text": "forgotten instead"}]}', "forget[0].text", "given twice")
case("repeated-unknown-key.json", '{"SECRET_TOKEN_hunter2": 1, "SECRET_TOKEN_hunter2": 2}', None, "holds a key given twice")
case("number-too-large.json", '{"forget": [' + item_a + '], "options": {"learning_rate": 1e400}}', "options.learning_rate", "too large")
case("number-too-small.json", '{"forget": [' + item_a + '], "options": {"learning_rate": 1e-400}}', "options.learning_rate", "would read as 0")
case("number-too-large-under-unknown-key.json", '{"forget": [{"text": "a", "x\\nY": -1e400}]}', "forget[0]", "holds a number too large")
case("option-epochs-one-point-zero.json", '{"forget": [' + item_a + '], "options": {"epochs": 1.0}}', "options.epochs", "without a fraction or exponent")
case("option-epochs-rounds-to-whole.json", '{"forget": [' + item_a + '], "options": {"epochs": 2.0000000000000001}}', "options.epochs", "without a fraction or exponent")
case("option-epochs-exponent.json", '{"forget": [' + item_a + '], "options": {"epochs": 1e0}}', "options.epochs", "without a fraction or exponent")
case("option-epochs-leading-zero.json", '{"forget": [' + item_a + '], "options": {"epochs": 01}}', "options.epochs", "leading zero")
case("option-nan.json", '{"forget": [' + item_a + '], "options": {"learning_rate": NaN}}', "options.learning_rate", "expected a value")
case("option-infinity.json", '{"forget": [' + item_a + '], "options": {"learning_rate": -Infinity}}', "options.learning_rate", "expected a digit")
case("comment.json", '{"forget": [' + item_a + '] /* note */}', None, "JSON has no comments")
case("lone-surrogate.json", '{"forget": [{"text": "a\\ud800b"}]}', "forget[0].text", "half of a surrogate pair")
case("lone-low-surrogate.json", '{"forget": [{"text": "a\\udc00"}]}', "forget[0].text", "half of a surrogate pair")
case("raw-tab-in-string.json", '{"forget": [{"text": "a\tb"}]}', "forget[0].text", "control character inside a string")
case("invalid-escape.json", '{"forget": [{"text": "\\x41"}]}', "forget[0].text", "invalid escape")
case("item-zero-width-completion.json", req(forget=[{"prompt": "Where?", "completion": "\u200b\u200b\u200c\u200d\u2060\ufeff\u200e"}]),
     "forget[0].completion", "blank")
case("key-log-injection.json", req(forget=[{"text": "a"}], **{"x\nFAKE-LOG-LINE injected": 1}), None, "not a request field")
case("key-escape-sequence.json", req(forget=[{"text": "a", "\u001b[31mred": 1}]), "forget[0]", "not an item field")
case("secret-not-json.json", "SECRET_TOKEN_hunter2=abc\n", None, "is not valid JSON: expected a value at byte offset 0")
case("secret-as-key.json", req(SECRET_TOKEN_hunter2="abc"), None, "not a request field")
case("secret-as-unknown-option.json", req(forget=[{"text": "a"}], options={"token": "SECRET_TOKEN_hunter2"}), "options", "not a request option")
case("secret-as-id.json", req(id="SECRET_TOKEN_hunter2=abc", forget=[{"text": "a"}]), "id", "letters, digits")
case("secret-as-item-ids.json", req(forget=[{"id": "SECRET_TOKEN_hunter2", "text": "a"}, {"id": "SECRET_TOKEN_hunter2", "text": "b"}]),
     "forget", "two items with the same id")
case("bulk-trailing-comma.jsonl", '{"text": "a"}\n{"text": "b",}\n', "line 2", "no trailing commas")
case("bulk-repeated-key.jsonl", '{"text": "kept", "text": "forgotten instead"}\n', "line 1.text", "given twice")

with open(os.path.join("bad", "expected.json"), "w") as f:
    json.dump(cases, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(cases), "cases")
