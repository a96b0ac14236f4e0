#!/usr/bin/env python3
"""Chat-template golden renderings for Lethe's Swift tests (run by hand, never by CI).

Reads the real chat templates that llama.cpp ships (vendor/llama.cpp/models/templates/*.jinja in the
llama-cpp-python source archive, `pip download --no-deps --no-binary :all: llama-cpp-python`) and renders
each with transformers' own `render_jinja_template` (the function `apply_chat_template` calls, so jinja2 is
configured exactly as transformers configures it) for every conversation below, with and without the
generation prompt. A rendering that raises records the error instead of the text.

Also renders ENGINE_CASES (small templates, each aimed at one rule of jinja2's lexer, parser or
runtime: white-space control, loop variables, scoping, slicing, Undefined, Python printing, filters,
tests, macros, errors) with the same jinja2 environment, into engine_cases.json:
  [{"name", "source", "context", "text"} or {..., "error": message, "phase": "compile" | "render"}]
  where a dict of the context is written {"dict": [[key, value], ...]} so that its order survives.

And it renders, with a fixed seed, EXPRESSION_COUNT random expressions (operators, filters, tests,
methods, slices and conditionals nested three deep over the variables of EXPRESSION_CONTEXT, never
over literals, which jinja2 would fold at compile time by rules of its own) and LAYOUT_COUNT random
layouts (text with spaces, tabs and newlines around tags with every -/+ marker, nested if/for/set/
comments) and PROGRAM_COUNT random programs (set, for with else and filters, if, break/continue,
namespace and macro statements reading and writing a few names) into random_cases.json.zst:
  {"context": {...}, "expressions": [{"source", "text"} or {"source", "error"}], "layouts": [...], "programs": [...]}
where a float of the context is written {"float": x}.

Writes Tests/ModelTests/Fixtures/chat_templates/chat_templates.json.zst:
  {"transformers": version, "jinja2": version, "now": ISO date strftime_now sees,
   "special_tokens": [{...}, ...], "conversations": [[{"role", "content"}, ...], ...],
   "tools": [...], "tool_conversation": [...] (dicts written {"dict": [[key, value], ...]}, see below),
   "templates": [{"name", "source", "renders": [{"conversation": i, "special_tokens": j, "add_generation_prompt": b,
                                                "text": s} or {..., "error": message}],
                  "tool_renders": [{"add_generation_prompt": b, "text" or "error"}]}]}

strftime_now is pinned to NOW (transformers reads datetime.now(), patched here); the Swift test injects
the same date. Usage: python3 Tests/Fixtures/make_chat_template_fixtures.py [llama_cpp_python-*.tar.gz]
(default: the archive in /work/material).
"""

from __future__ import annotations

import copy
import datetime as real_datetime
import glob
import json
import random
import sys
import tarfile
from pathlib import Path

import jinja2
import transformers
import zstandard
from transformers.utils import chat_template_utils

REPO_ROOT = Path(__file__).resolve().parents[2]
OUT_FOLDER = REPO_ROOT / "Tests" / "ModelTests" / "Fixtures" / "chat_templates"
OUT = OUT_FOLDER / "chat_templates.json.zst"
CASES_OUT = OUT_FOLDER / "engine_cases.json"
RANDOM_OUT = OUT_FOLDER / "random_cases.json.zst"
NOW = real_datetime.datetime(2025, 3, 14, 9, 26, 53)

# Special tokens the way a tokenizer's special_tokens_map hands them to the template: placeholders,
# and none at all (Qwen's tokenizers have no bos_token, so templates see it undefined).
SPECIAL_TOKENS = [{"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}, {}]

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [
        {"role": "system", "content": "You are a concise assistant. Answer in one sentence."},
        {"role": "user", "content": "Who wrote \"Le Petit Prince\"?"},
        {"role": "assistant", "content": "Antoine de Saint-Exupéry wrote it in 1943."},
        {"role": "user", "content": "  And where was he born?\nPlease be brief.  "},
    ],
    [
        {"role": "user", "content": "Say hi."},
        {"role": "assistant", "content": "Hi! 👋"},
        {"role": "user", "content": "Now in Japanese: こんにちは?"},
    ],
    [
        {"role": "system", "content": "Think step by step."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nTwo plus two.\n</think>\n\nIt is 4."},
        {"role": "user", "content": "And 3+3?"},
    ],
    [
        {"role": "user", "content": "Complete: The sky is"},
        {"role": "assistant", "content": " blue."},
    ],
]
# A tool-calling exchange (tools passed as JSON schemas, the call's arguments as a dict, as
# transformers documents it), rendered as an extra check of the paths most templates keep for tools.
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the weather for a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city name"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}]
TOOL_CONVERSATION = [
    {"role": "user", "content": "What's the weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "18 degrees, sunny"},
    {"role": "assistant", "content": "It is 18 °C and sunny in Paris."},
]

# (conversation, special tokens) pairs, each rendered with and without the generation prompt.
RENDERS = [(index, 0) for index in range(len(CONVERSATIONS))] + [(0, 1)]


MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": " Hi there "},
            {"role": "assistant", "content": "Hello!"}]

# (name, template, context). Contexts hold no floats (the Swift side reads them through JSON).
ENGINE_CASES = [
    # White space: trim_blocks, lstrip_blocks, -/+ markers, comments, newlines.
    ("trim_and_lstrip_blocks", "  {% if true %}\n  yes\n  {% endif %}\nend", {}),
    ("minus_strips_both_sides", "a  \n {%- if true -%}  \n x  {%- endif -%} \n b", {}),
    ("plus_keeps_lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("plus_keeps_trim", "{% if true +%}\nx{% endif %}", {}),
    ("variables_are_not_lstripped", "  {{ 'v' }}  \n  {{- 'w' }}", {}),
    ("comments_trim_and_lstrip", "a\n  {# note #}\nb{#- x -#}  c\n{# y #}d", {}),
    ("trailing_newline_dropped_once", "x\n\n", {}),
    ("crlf_and_cr_newlines", "a\r\n{% if true %}\r\nb\rc{% endif %}\r\n", {}),
    ("tabs_lstripped", "\t \t{% if true %}t{% endif %}", {}),
    ("lstrip_only_at_line_start", "x {% if true %}y{% endif %}", {}),
    ("text_after_block_on_same_line", "{% for m in messages %}{{ m.role }}: {% endfor %}\n{% set x = 1 %}  \nz", {"messages": MESSAGES}),
    # Loops.
    ("loop_variables", "{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}"
     "{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}[{{ loop.previtem }}|{{ loop.nextitem }}]{{ loop.cycle('o', 'e') }};{% endfor %}", {}),
    ("loop_else", "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in [1] %}{{ x }}{% else %}no{% endfor %}", {}),
    ("loop_else_after_every_iteration_continued", "{% for x in [1, 2] %}{{ x }}{% continue %}{% else %}else{% endfor %}|{% for x in [1, 2] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% else %}else{% endfor %}|{% for x in [1, 2] %}{% break %}{% else %}else{% endfor %}", {}),
    ("later_top_level_set_hides_a_variable_in_earlier_loops", "{% for x in [1] %}[{{ a }}]{% endfor %}{% macro m() %}[{{ a }}]{% endmacro %}{{ m() }}{% set a = 'set' %}{{ m() }}|{% for x in [1] %}[{{ b }}]{% endfor %}{% if true %}{% set b = 'in if' %}{% endif %}|{{ c }}{% for x in [1] %}[{{ c }}]{% endfor %}{% set c = 'read first' %}", {"a": "passed", "b": "passed", "c": "passed"}),
    ("loop_filter_counts_kept_items", "{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }} {{ m.role }} {% endfor %}",
     {"messages": MESSAGES}),
    ("loop_tuple_unpacking", "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }},{% endfor %}{% for a, b in [[1, 2], (3, 4)] %}{{ a + b }}{% endfor %}", {}),
    ("loop_break_continue", "{% for x in range(10) %}{% if x is even %}{% continue %}{% endif %}{% if x > 6 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("break_in_loop_else_leaves_the_outer_loop", "{% for a in [1, 2] %}{{ a }}{% for b in [] %}{% else %}{% break %}{% endfor %}{% endfor %}", {}),
    ("loop_over_string_and_dict", "{% for c in 'héllo' %}{{ c }}.{% endfor %}{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}", {}),
    ("nested_loops_and_outer_loop", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in [3, 4] %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}", {}),
    # Scoping and namespace.
    ("set_in_loop_does_not_leak", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 10 %}{{ x }} {% endfor %}{{ x }}", {}),
    ("set_in_if_leaks", "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", {}),
    ("namespace_carries_out_of_loop", "{% set ns = namespace(n=0, seen=false) %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}{% set ns.seen = true %}{% endfor %}{{ ns.n }} {{ ns.seen }}", {}),
    ("namespace_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}", {}),
    ("block_set", "{% set x %} a {{ 1 + 1 }} {% endset %}[{{ x }}]{% set y | trim | upper %} b {% endset %}[{{ y }}]", {}),
    ("multiple_assignment", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}", {}),
    # Expressions and Python printing.
    ("print_python_values", "{{ none }} {{ true }} {{ false }} {{ [1, 'a', none, true, 1.5, [2]] }} {{ {'a': 1, 'b': 'c'} }} {{ (1,) }} {{ (1, 2) }} {{ () }}", {}),
    ("integer_and_float_arithmetic", "{{ 1 / 2 }} {{ 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ true + 1 }} {{ 3 * 'ab' }} {{ [1] * 3 }}", {}),
    ("float_repr", "{{ 0.1 + 0.2 }} {{ 3.0 }} {{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789.123 }} {{ -0.0 }} {{ 2.5e-10 }} {{ 1.5e300 * 1e10 }}", {}),
    ("string_escapes", "{{ 'a\\nb\\tc\\u00e9\\x41\\\\d\\'q\\\"' }}|{{ \"it's\" }}|{{ 'x' 'y' \"z\" }}", {}),
    ("string_repr_in_lists", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\there', 'é', '\\x00'] }}", {}),
    ("comparisons_and_membership", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'ab' in 'cabd' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }} {{ not 'x' in 'y' }} {{ none == none }}", {}),
    ("and_or_return_operands", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or [] }} {{ not none }}", {}),
    ("conditional_expression", "{{ 'y' if true else 'n' }}{{ 'y' if false else 'n' }}[{{ 'y' if false }}]{{ 1 if false else 2 if true else 3 }}", {}),
    ("concatenation_and_unary", "{{ 1 ~ 'a' ~ none ~ missing }} {{ -1 | abs }} {{ -(3) }} {{ +4 }} {{ - 2 ** 2 }}", {}),
    ("slicing", "{{ [1, 2, 3, 4][::-1] }} {{ 'hello'[1:3] }} {{ 'hello'[-2:] }} {{ [1, 2, 3, 4, 5][::2] }} {{ 'abc'[5:] }} {{ [1, 2, 3][-1] }} {{ 'hello'[::-2] }} {{ [1, 2, 3][1:-1] }} {{ [1, 2, 3, 4][3:0:-1] }} {{ 'abc'[-10:10] }} {{ messages[1:] | length }}",
     {"messages": MESSAGES}),
    ("attribute_and_item_lookup", "{{ messages[0].role }} {{ messages[0]['content'] }} {{ messages[-1].content }} {{ messages[9] is defined }} {{ messages.0.role }} [{{ {'a': 1}.b }}] [{{ none.x }}] [{{ 'abc'[9] }}] {{ {'items': 1}['items'] }}",
     {"messages": MESSAGES}),
    ("underscore_names", "{{ d._private }}|{{ d.__class__ }}|{{ 'x'._y }}|{{ d['__class__'] }}", {"d": {"_private": "kept", "__class__": "key"}}),
    ("dict_methods", "{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.get('b', 2) }} {{ {'a': 1, 'b': 2}.keys() | list }} {{ {'a': 1, 'b': 2}.values() | list }} {{ {'a': 1}.items() | list }} {{ dict(x=1, y='z') }}", {}),
    # Undefined.
    ("undefined_is_quiet", "[{{ missing }}] {{ missing is defined }} {{ missing is undefined }} {% for x in missing %}x{% endfor %}{{ missing | default('d') }} {{ missing | length }} {{ missing | trim }}|{{ missing == missing }} {{ missing ~ 'x' }} {{ 'a' in missing }} {{ missing | list }} {{ missing | join(',') }}|{% if not missing %}falsy{% endif %}", {}),
    ("undefined_inside_a_printed_list", "{{ [missing, 1] }} {{ {'k': missing} }} {{ [1, 2]|map(attribute='x')|list }}", {}),
    ("float_edge_arithmetic", "{{ 3 % -1.5 }} {{ -3 % 1.5 }} {{ 0.0 // -1 }} {{ 2 ** -2 }} {{ 4 ** 0.5 }}", {}),
    ("error_zero_to_a_negative_power", "{{ 0 ** -1 }}", {}),
    ("missing_parameter_is_undefined", "{% macro m(a, b) %}[{{ a }}|{{ b is defined }}]{% endmacro %}{{ m(1) }}", {}),
    # String methods.
    ("string_methods", "{{ '  x  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  x '.lstrip() }}|{{ ' x  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b \\n c '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ '{} and {}'.format(1, 'x') }}|{{ 'a-b'.find('-') }}|{{ 'banana'.count('a') }}|{{ ', '.join(['x', 'y']) }}", {}),
    # Filters.
    ("percent_formatting", "{{ '%s and %r' % ('a', 'b') }}|{{ '%d|%5d|%-5d|%05d|%+d|%i' % (3.7, 42, 42, -42, 7, true) }}|{{ '%.2f|%f|%8.3f|%F' % (3.14159, 2, -1.5, 1e20) }}|{{ '%x|%X|%#x|%o|%c|%c' % (255, 255, 255, 8, 65, 'z') }}|{{ '%(a)s-%(b)d' % {'a': 'x', 'b': 2} }}|{{ '%s' % [1, 2] }}|{{ 'plain' % {} }}|{{ 'plain' % [] }}|{{ '100%%' % () }}|{{ '%.1s|%*d' % ('abc', 4, 7) }}|{{ '%s' % none }}|{{ '%s' % (missing,) }}", {}),
    ("error_percent_too_few_arguments", "{{ '%s %s' % ('a',) }}", {}),
    ("error_percent_too_many_arguments", "{{ '%s' % ('a', 'b') }}", {}),
    ("error_percent_single_unused", "{{ 'x' % 5 }}", {}),
    ("error_percent_d_of_str", "{{ '%d' % 'a' }}", {}),
    ("filter_trim_and_string", "[{{ '  a \\n'|trim }}][{{ 'xxay'|trim('xy') }}][{{ 5|string }}][{{ none|string }}][{{ [1]|string }}]", {}),
    ("filter_tojson", "{{ {'b': [1, 2.5, none, true], 'a': 'é\\n\\\"<>&\\u0001'}|tojson }}|{{ {'b': 1, 'a': {'c': []}}|tojson(indent=2) }}|{{ [1, {'x': 'y'}]|tojson(separators=(',', ':')) }}|{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}|{{ 'x'|tojson }}|{{ {}|tojson(indent=4) }}|{{ [[]]|tojson(indent=1) }}", {}),
    ("filter_tojson_ensure_ascii", "{{ ['é', '😀', '\\x7f~', 'ok']|tojson(ensure_ascii=true) }}|{{ 'é'|tojson(true) }}", {}),
    ("filter_tojson_of_context", "{{ messages|tojson }}", {"messages": MESSAGES}),
    ("filter_length_count_join", "{{ messages|length }} {{ 'héllo'|length }} {{ {'a': 1}|count }} {{ messages|join(',', attribute='role') }} {{ [1, 2]|join }} {{ ['a', 'b']|join(' - ') }}", {"messages": MESSAGES}),
    ("filter_select_and_map", "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|rejectattr('role', 'eq', 'system')|map(attribute='role')|list }} {{ [1, 2, 3, 4]|select('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ [1, 2, 3]|reject('gt', 1)|list }} {{ ['a', 'B']|map('upper')|join }} {{ messages|map(attribute='missing', default='d')|list }} {% if messages|selectattr('role', 'equalto', 'nobody') %}generators are true{% endif %}",
     {"messages": MESSAGES}),
    ("generators_are_used_up", "{% set users = messages|selectattr('role', 'equalto', 'user') %}{{ users|list|length }} {{ users|list|length }}|{% set roles = messages|map(attribute='role') %}{{ roles|first }} {{ roles|list }}|{% set r = [1, 2, 3]|select %}{{ 2 in r }} {{ r|list }}|{{ (messages|map(attribute='role')|reverse) is iterable }} {{ [1, 2]|select|reverse }}|{% set g = [1, 2]|select %}{{ g == g }}",
     {"messages": MESSAGES}),
    ("filter_default", "{{ missing|default('a') }} {{ ''|default('b') }} {{ ''|default('c', true) }} {{ none|default('d') }} {{ 0|d('e', boolean=true) }}", {}),
    ("filter_case_and_text", "{{ 'hello WORLD-x(y'|title }} {{ 'hELLO'|capitalize }} {{ 'aB'|upper }}{{ 'aB'|lower }} {{ 'one two  three'|wordcount }} {{ 'a<b>&\\'\"'|e }} {{ 'x'|safe }} {{ 'abc'|replace('b', 'B') }} {{ 'abc'|reverse }} {{ [1, 2]|reverse|list }}", {}),
    ("filter_sort_unique_dictsort", "{{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ messages|sort(attribute='role')|map(attribute='role')|list }} {{ ['a', 'A', 'b', 'a']|unique|list }} {{ {'b': 1, 'A': 2, 'c': 0}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ [3, 1, 2]|min }} {{ ['b', 'A']|max }}",
     {"messages": MESSAGES}),
    ("filter_first_last_list_items", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|list }} {{ {'a': 1}|items|list }} [{{ []|first }}] {% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %}", {}),
    ("filter_numbers", "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 3|float }} {{ -3|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(method='ceil') }} {{ 2.9|round(0, 'floor') }} {{ '0x1A'|int }} {{ '0x1A'|float }} {{ ' 7 '|int }} {{ '1e3'|int }} {{ 'inf'|int(5) }} {{ 'nan'|float }}", {}),
    ("filter_indent", "[{{ 'a\\nb\\n\\nc'|indent }}][{{ 'a\\nb'|indent(2, true) }}][{{ 'a\\n\\nb'|indent(2, blank=true) }}][{{ 'a\\nb'|indent('> ') }}]", {}),
    ("markup_escapes_what_is_added", "{{ '<b>'|safe + '<i>' }}|{{ '<i>' + '<b>'|safe }}|{{ '<' ~ '<b>'|safe }}|{{ '<'|e }}|{{ '<'|e|e }}|{{ '<a>'|safe is string }}|{{ '<a>'|safe is escaped }}|{{ 'a' is escaped }}|{{ ['<'|safe] }}|{{ ('x<'|safe).replace('x', '&') }}|{{ ('a,b'|safe).split(',') }}|{{ ('-'|safe).join(['<', 'b'|safe]) }}|{{ '<x>'|safe|upper + '&' }}|{{ '<x>'|safe|trim|length }}|{{ ('{}'|safe).format('<') }}|{{ '<a>'|safe == '<a>' }}|{{ '<'|safe * 2 + '&' }}|{{ '<x>'|safe|replace('x', '<') + '&' }}|{{ {'a': '<'|safe}|tojson }}|{{ '<'|safe|string + '>' }}|{{ '<'|safe|join + '>' }}|{{ ('<'|safe)[0] + '>' }}|{{ ('ab'|safe).startswith('a') }}|{{ 'x'|safe|title + '<' }}|{{ 'a<'|e|reverse }}",
     {}),
    ("filter_block", "{% filter upper %}abc {{ 'd' }}{% endfilter %}", {}),
    # Tests.
    ("tests", "{{ 'a' is string }} {{ 1 is string }} {{ {} is mapping }} {{ [] is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ [] is sequence }} {{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ none is none }} {{ true is true }} {{ 0 is false }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 'a' is in 'abc' }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ 1 is not none }} {{ missing is iterable }} {{ missing is sequence }}", {}),
    # Macros.
    ("macros", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(punct='.', name='c') }}", {}),
    ("macro_varargs_kwargs_and_nesting", "{% macro inner(x) %}<{{ x }}>{% endmacro %}{% macro outer(a) %}{{ inner(a) }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ outer(1, 2, 3, k='v') }}", {}),
    ("error_macro_extra_positional_argument", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("error_macro_unknown_keyword_argument", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, b=2) }}", {}),
    ("error_macro_argument_given_twice", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, a=2) }}", {}),
    ("macro_extra_arguments_when_read_in_a_nested_block", "{% macro m(a) %}{% for x in [1] %}{{ varargs }}{% if true %}{{ kwargs }}{% endif %}{% endfor %}{% endmacro %}{{ m(1, 2, k=3) }}", {}),
    ("macro_sees_globals_at_call_time", "{% macro show() %}{{ value }}{{ bos_token }}{% endmacro %}{% set value = 'late' %}{{ show() }}", {"bos_token": "<s>"}),
    ("macro_default_uses_earlier_parameter", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("generation_block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}|{% endfor %}", {"messages": MESSAGES}),
    # Globals.
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %a %j %I %p %y') }}", {}),
    ("range_global", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }}", {}),
    # Errors.
    ("raise_exception", "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}", {"messages": MESSAGES}),
    ("error_attribute_of_undefined", "{{ missing.attr }}", {}),
    ("error_arithmetic_on_undefined", "{{ missing + 1 }}", {}),
    ("error_iterating_none", "{% for x in none %}{% endfor %}", {}),
    ("error_adding_str_and_int", "{{ 'a' + 1 }}", {}),
    ("error_comparing_int_and_str", "{{ 1 < 'a' }}", {}),
    ("error_list_append_in_sandbox", "{% set x = [] %}{{ x.append(1) }}", {}),
    ("error_underscore_namespace_attribute", "{% set ns = namespace() %}{% set ns._x = 1 %}", {}),
    ("error_tojson_of_undefined", "{{ missing|tojson }}", {}),
    ("error_length_of_generator", "{{ [1]|select|length }}", {}),
    ("error_calling_undefined", "{{ missing() }}", {}),
    ("unknown_filter_in_untaken_branch", "{% if false %}{{ 1|nosuchfilter }}{% endif %}x", {}),
    ("error_dict_in_dict", "{{ {} in {'a': 1} }}", {}),
    ("error_list_as_dict_key", "{{ {[1]: 2} }}", {}),
    ("error_zero_slice_step", "{{ [1][::0] }}", {}),
    ("error_break_outside_loop", "{% if true %}{% break %}{% endif %}", {}),
    ("error_break_in_macro_in_loop", "{% for x in [1] %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}", {}),
    ("error_continue_in_loop_else", "{% for x in [] %}{% else %}{% continue %}{% endfor %}", {}),
    ("error_unclosed_if", "{% if true %}x", {}),
    ("error_unknown_statement", "{% frobnicate %}", {}),
    ("error_bad_expression", "{{ 1 + }}", {}),
    ("error_unclosed_comment", "a {# b", {}),
    ("error_on_line_three", "a\nb\n{{ missing.x }}", {}),
]


EXPRESSION_COUNT = 1500
EXPRESSION_CONTEXT = {
    "i0": 0, "i1": 1, "i2": 2, "i3": 3, "neg": -1, "f05": 0.5, "f2": 2.0, "fneg": -1.5, "big": 1e20,
    "a": "a", "abc": "Ab c", "empty": "", "spaced": " x ", "e": "é", "q": "it's", "csv": "a,b,c", "html": "<b>",
    "pair": [1, "a"], "nums": [3, 1, 2], "nil": [], "dab": {"a": 1, "b": [2]}, "de": {},
    "vnone": None, "vtrue": True, "vfalse": False, "m": MESSAGES,
}
EXPRESSION_ATOMS = [name for name in EXPRESSION_CONTEXT] + ["u", "html|safe"]
BINARY_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "and", "or"]
EXPRESSION_FILTERS = [
    "length", "trim", "upper", "lower", "title", "capitalize", "string", "list", "first", "last", "reverse", "sort",
    "unique", "join", "join(', ')", "tojson", "tojson(indent=2)", "default('D')", "default('D', true)", "int", "float",
    "abs", "round", "round(1)", "items", "dictsort", "wordcount", "e", "safe", "replace('a', 'X')", "indent(2)", "min",
    "max", "count", "select", "reject", "map('string')", "map('upper')", "selectattr('role')", "map(attribute='role')",
    "batch(2)", "sum", "list|length", "select|list", "sort|list", "unique|list", "map('string')|join('/')",
]
EXPRESSION_TESTS = ["defined", "undefined", "none", "string", "mapping", "iterable", "sequence", "number", "integer",
                    "float", "boolean", "true", "false", "even", "odd", "divisibleby 2", "eq 1", "in [1, 'a']", "lower",
                    "upper", "callable", "escaped"]
EXPRESSION_METHODS = ["strip()", "lstrip()", "rstrip('x ')", "split()", "split(',')", "upper()", "lower()", "title()",
                      "startswith('a')", "endswith(('c', 'x'))", "replace('a', 'Z')", "get('a')", "get('z', 0)", "items()",
                      "keys()", "values()", "count('a')", "find('b')", "format(1)", "capitalize()"]


def random_expression(rng: random.Random, depth: int) -> str:
    r = rng.random()
    if depth <= 0 or r < 0.25:
        return rng.choice(EXPRESSION_ATOMS)
    sub = lambda: random_expression(rng, depth - 1)
    if r < 0.45:
        return f"({sub()} {rng.choice(BINARY_OPERATORS)} {sub()})"
    if r < 0.6:
        return f"({sub()})|{rng.choice(EXPRESSION_FILTERS)}"
    if r < 0.7:
        return f"({sub()} is {'not ' if rng.random() < 0.3 else ''}{rng.choice(EXPRESSION_TESTS)})"
    if r < 0.78:
        return f"({sub()}).{rng.choice(EXPRESSION_METHODS)}"
    if r < 0.86:
        start, stop = rng.choice(["", "1", "-1", "0", "2"]), rng.choice(["", "1", "-1", "3"])
        step = rng.choice(["", ":-1", ":2", ":-2"]) if rng.random() < 0.4 else ""
        return f"({sub()})[{start}:{stop}{step}]"
    if r < 0.92:
        return f"({sub()})[{rng.choice(['0', '-1', '1', repr('a'), repr('role')])}]"
    if r < 0.96:
        return f"({sub()} if {sub()} else {sub()})"
    return f"(not {sub()})"


LAYOUT_COUNT = 600
LAYOUT_TEXTS = ["", " ", "  ", "\t", "\n", " \n ", "x", "y z", "\n\n", "\r\n", "\n  \t", "a\n", "\n b"]


def random_layout(rng: random.Random, depth: int) -> str:
    def marker(allow_plus: bool = True) -> str:
        return rng.choice(["", "", "-", "+"] if allow_plus else ["", "", "-"])
    def text() -> str:
        return "".join(rng.choice(LAYOUT_TEXTS) for _ in range(rng.randint(0, 3)))
    parts = []
    for _ in range(rng.randint(1, 4)):
        parts.append(text())
        kind = rng.random()
        if kind < 0.2:
            parts.append("{{" + marker() + " a " + marker(False) + "}}")
        elif kind < 0.35:
            parts.append("{#" + marker() + " note " + marker(False) + "#}")
        elif kind < 0.5:
            parts.append("{%" + marker() + " set z = 1 " + marker() + "%}")
        elif depth > 0 and kind < 0.75:
            tail = ("{%" + marker() + " else " + marker() + "%}" + random_layout(rng, depth - 1)) if rng.random() < 0.3 else ""
            parts.append("{%" + marker() + " if vtrue " + marker() + "%}" + random_layout(rng, depth - 1) + tail
                         + "{%" + marker() + " endif " + marker() + "%}")
        elif depth > 0:
            parts.append("{%" + marker() + " for x in pair " + marker() + "%}" + random_layout(rng, depth - 1)
                         + "{%" + marker() + " endfor " + marker() + "%}")
        parts.append(text())
    return "".join(parts)


PROGRAM_COUNT = 600


def random_program(rng: random.Random, depth: int, in_loop: bool = False, in_macro: bool = False) -> str:
    """Statements that read and write a few names, to test jinja2's scoping of loops, macros and namespaces."""
    names = ["x", "y", "i1", "a"]
    values = ["1", "x ~ '+'", "y", "loop.index if loop is defined else 0", "ns.n", "i2", "(x or 0) ~ 'x'", "nums|length"]
    out = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.25:
            out.append(f"{{% set {rng.choice(names)} = {rng.choice(values)} %}}")
        elif r < 0.4:
            out.append(f"[{{{{ {rng.choice(names)} }}}}|{{{{ ns.n }}}}]")
        elif r < 0.5:
            out.append(f"{{% set ns.n = ns.n ~ {rng.choice(['1', 'x', 'y'])} %}}")
        elif r < 0.65 and depth > 0:
            iterable = rng.choice(["nums", "pair", "nil", "m", "csv.split(',')"])
            condition = rng.choice(["", "", " if loop is undefined", " if x is defined"]) if iterable != "m" else ""
            otherwise = ("{% else %}" + random_program(rng, depth - 1, in_loop, in_macro)) if rng.random() < 0.25 else ""
            out.append(f"{{% for x in {iterable}{condition} %}}{{{{ loop.index }}}}{{{{ x }}}}"
                       + random_program(rng, depth - 1, True, in_macro) + otherwise + "{% endfor %}")
        elif r < 0.75 and depth > 0:
            out.append(f"{{% if {rng.choice(['x', 'y is defined', 'ns.n', 'not a', 'i1 > 0'])} %}}"
                       + random_program(rng, depth - 1, in_loop, in_macro) + "{% else %}"
                       + random_program(rng, depth - 1, in_loop, in_macro) + "{% endif %}")
        elif r < 0.82 and in_loop and not in_macro:
            out.append(rng.choice(["{% break %}", "{% continue %}"]) if rng.random() < 0.5
                       else f"{{% if x == {rng.choice(['1', '3', 'a'])} %}}{{% {rng.choice(['break', 'continue'])} %}}{{% endif %}}")
        elif r < 0.9 and depth > 0 and not in_macro:
            name = rng.choice(["mac", "other"])
            out.append(f"{{% macro {name}(p, q=x) %}}<{{{{ p }}}},{{{{ q }}}},{{{{ x }}}}>"
                       + random_program(rng, depth - 1, False, True) + "{% endmacro %}")
        else:
            out.append(f"{{{{ mac({rng.choice(values)}) if mac is defined }}}}{{{{ other(q=y) if other is defined }}}}")
    return "".join(out)


def floats_marked(value):
    """The context with its floats written {"float": x}, so that 2.0 stays a float through any JSON reader."""
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, dict):
        return {key: floats_marked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [floats_marked(item) for item in value]
    return value


class PinnedDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


def read_templates(archive: Path) -> dict[str, str]:
    templates = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[-2:-1] == ["templates"] and member.name.endswith(".jinja") \
                    and "vendor/llama.cpp/models/templates" in member.name:
                templates[parts[-1][: -len(".jinja")]] = tar.extractfile(member).read().decode("utf-8")
    return dict(sorted(templates.items()))


def render(source: str, conversation: list[dict], add_generation_prompt: bool, special_tokens: dict,
           tools: list | None = None) -> dict:
    try:
        rendered, _ = chat_template_utils.render_jinja_template(
            conversations=[conversation],
            tools=tools,
            chat_template=source,
            add_generation_prompt=add_generation_prompt,
            **special_tokens,
        )
        return {"text": rendered[0]}
    except Exception as error:  # the template raised: record what jinja2 said
        return {"error": f"{type(error).__name__}: {error}"}


def ordered(value):
    """The context in a form whose dict order survives any JSON reader."""
    if isinstance(value, dict):
        return {"dict": [[key, ordered(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def render_case(source: str, context: dict) -> dict:
    try:
        compiled = chat_template_utils._compile_jinja_template(source)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "phase": "compile"}
    try:
        return {"text": compiled.render(**context)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}", "phase": "render"}


def main() -> None:
    archives = sys.argv[1:] or glob.glob("/work/material/llama_cpp_python-*.tar.gz")
    assert len(archives) == 1, f"give exactly one llama-cpp-python archive, found {archives}"
    chat_template_utils.datetime = PinnedDatetime
    templates = read_templates(Path(archives[0]))
    assert len(templates) >= 50, f"only {len(templates)} templates found"
    document = {
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "now": NOW.isoformat(),
        "special_tokens": SPECIAL_TOKENS,
        "conversations": CONVERSATIONS,
        "tools": ordered(TOOLS),
        "tool_conversation": ordered(TOOL_CONVERSATION),
        "templates": [],
    }
    errors = 0
    for name, source in templates.items():
        renders = []
        for index, tokens in RENDERS:
            for add_generation_prompt in (False, True):
                outcome = render(source, CONVERSATIONS[index], add_generation_prompt, SPECIAL_TOKENS[tokens])
                errors += "error" in outcome
                renders.append({"conversation": index, "special_tokens": tokens,
                                "add_generation_prompt": add_generation_prompt, **outcome})
        tool_renders = []
        for add_generation_prompt in (False, True):
            outcome = render(source, TOOL_CONVERSATION, add_generation_prompt, SPECIAL_TOKENS[0], TOOLS)
            tool_renders.append({"add_generation_prompt": add_generation_prompt, **outcome})
        document["templates"].append({"name": name, "source": source, "renders": renders, "tool_renders": tool_renders})
    raw = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    compressed = zstandard.ZstdCompressor(level=19).compress(raw)
    assert len(compressed) < 2_000_000, f"fixture is {len(compressed)} bytes"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(compressed)
    cases = []
    for name, source, context in ENGINE_CASES:
        cases.append({"name": name, "source": source, "context": ordered(context), **render_case(source, copy.deepcopy(context))})
    assert len({case["name"] for case in cases}) == len(cases), "case names must be unique"
    CASES_OUT.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    # One seed per kind, so that changing one kind leaves the others' cases as they were.
    rng = random.Random(12)
    layouts = [random_layout(rng, 2) for _ in range(LAYOUT_COUNT)]
    layouts = [{"source": source, **render_case(source, copy.deepcopy(EXPRESSION_CONTEXT))} for source in layouts]
    rng = random.Random(13)
    programs = ["{% set ns = namespace(n='') %}" + random_program(rng, 3) + "|{{ x }}{{ y }}{{ ns.n }}"
                for _ in range(PROGRAM_COUNT)]
    programs = [{"source": source, **render_case(source, copy.deepcopy(EXPRESSION_CONTEXT))} for source in programs]
    assert not any(case.get("phase") == "compile" for case in programs), [c for c in programs if c.get("phase") == "compile"][:2]
    for case in programs:
        case.pop("phase", None)
    assert not any("error" in case for case in layouts), [case for case in layouts if "error" in case][:3]
    rng = random.Random(14)
    expressions = []
    for _ in range(EXPRESSION_COUNT):
        source = "{{ " + random_expression(rng, 3) + " }}"
        # A fresh copy each time: jinja2's indent filter extends a list given to it in place (`s += "\n"`).
        outcome = render_case(source, copy.deepcopy(EXPRESSION_CONTEXT))
        assert outcome.pop("phase", "render") == "render", f"{source} does not compile: {outcome}"
        expressions.append({"source": source, **outcome})
    raw_random = json.dumps({"context": floats_marked(ordered(EXPRESSION_CONTEXT)), "expressions": expressions,
                             "layouts": layouts, "programs": programs}, ensure_ascii=False, indent=0).encode("utf-8")
    RANDOM_OUT.write_bytes(zstandard.ZstdCompressor(level=19).compress(raw_random))
    print(f"{len(expressions)} random expressions ({sum('error' in c for c in expressions)} raise), {len(layouts)} random layouts, "
          f"{len(programs)} random programs ({sum('error' in c for c in programs)} raise)")
    total = sum(len(t["renders"]) for t in document["templates"])
    print(f"{len(cases)} engine cases ({sum('error' in c for c in cases)} raise)")
    print(f"{len(templates)} templates, {total} renders ({errors} raise), {len(raw)} bytes -> {len(compressed)} bytes")


if __name__ == "__main__":
    main()
