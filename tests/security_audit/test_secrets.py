"""Hard-coded secret detection: each rule flags a realistic secret and ignores look-alikes.

Token fixtures are assembled at run time so this file does not itself contain strings that
secret scanners (GitHub push protection, attune) would flag.
"""

from __future__ import annotations

import pytest

from activities.security_audit.scanners.secrets import RULES, find_secrets, shannon_entropy

_ALPHABET = "R8kq2ZLmW7vN4tXb9cYd3PaS6hJf1GuE5oQiB"


def token(length: int) -> str:
    return (_ALPHABET * 4)[:length]


AWS_KEY_ID = "AK" + "IA" + "Z3MSJV4WQR7TYU2P"
AWS_SECRET = token(40)
GITHUB = "gh" + "p_" + token(36)
GITHUB_FINE_GRAINED = "github" + "_pat_" + token(40)
SLACK = "xo" + "xb-" + "2849601735-" + token(16)
STRIPE = "sk" + "_live_" + token(24)
GOOGLE = "AI" + "za" + token(35)
ANTHROPIC = "sk-" + "ant-api03-" + token(60)
OPENAI = "sk-" + "proj-" + token(48)
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"
JWT = "ey" + "JhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + token(43)
PASSWORD = "Tr0ub4dor&3"

# (rule id, line, source)
VULNERABLE = [
    ("ATN201", 2, f'import boto3\nAWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\n'),
    ("ATN201", 1, f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n"),  # .env files are scanned too
    ("ATN202", 2, f'import boto3\naws_secret_access_key = "{AWS_SECRET}"\n'),
    ("ATN203", 1, f'client = Github("{GITHUB}")\n'),
    ("ATN203", 1, f'TOKEN = "{GITHUB_FINE_GRAINED}"\n'),
    ("ATN204", 1, f'slack = WebClient(token="{SLACK}")\n'),
    ("ATN205", 2, f'import stripe\nstripe.api_key = "{STRIPE}"\n'),
    ("ATN206", 1, f'MAPS_URL = "https://maps.example.net/api?key={GOOGLE}"\n'),
    ("ATN207", 1, f'client = Anthropic(api_key="{ANTHROPIC}")\n'),
    ("ATN208", 1, f'OPENAI_API_KEY = "{OPENAI}"\n'),
    ("ATN209", 2, f'KEY = """\n{PEM}\nMIIEpAIBAAKCAQEA\n"""\n'),
    ("ATN210", 1, f'headers = {{"Authorization": "Bearer {JWT}"}}\n'),
    ("ATN211", 1, f'DB_PASSWORD = "{PASSWORD}"\n'),
    ("ATN211", 2, f'def connect():\n    return db.connect(user="app", password="{PASSWORD}")\n'),
    ("ATN211", 1, f'DATABASES = {{"default": {{"PASSWORD": "{PASSWORD}"}}}}\n'),
    ("ATN211", 1, f'password: str = "{PASSWORD}"\n'),
    ("ATN211", 1, f'def login(user, passwd="{PASSWORD}"):\n    pass\n'),
    ("ATN212", 1, 'API_KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"\n'),
    ("ATN212", 1, f'settings = {{"auth_token": "{token(20)}"}}\n'),
    ("ATN212", 1, f'SECRET_KEY = "{token(50)}"\n'),
    ("ATN212", 1, f'headers = {{"Authorization": "Bearer {token(32)}"}}\n'),
]

# (rule id this is the look-alike of, source); none may produce a finding.
SAFE = [
    # An HTTP header in a test fixture: "Digest nonce" is no type annotation, a nonce no secret.
    ("ATN212", "b'WWW-Authenticate: Digest nonce=\"6bf5d6e4da1ce66918800195d6b9130d\"'\n"),
    ("ATN201", 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'),
    ("ATN201", 'NAME = "AKIA-not-a-key"\n'),
    ("ATN202", 'aws_secret_access_key = os.environ["AWS_SECRET_ACCESS_KEY"]\n'),
    ("ATN203", 'PREFIX = "ghp_"\n'),
    ("ATN204", 'SLACK = "xoxb-your-token-here"\n'),
    ("ATN205", f'stripe.api_key = "sk_test_{token(24)}"\n'),
    ("ATN206", 'GOOGLE_API_KEY = os.getenv("GOOGLE_API_KEY")\n'),
    ("ATN207", 'ANTHROPIC_API_KEY = "sk-ant-..."\n'),
    ("ATN208", 'OPENAI_API_KEY = "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxx"\n'),
    ("ATN209", 'HEADER = "-----BEGIN PUBLIC KEY-----"\n'),
    ("ATN210", 'PREFIX = "eyJ"\n'),
    ("ATN211", 'password = ""\n'),
    ("ATN211", 'password = "changeme"\n'),
    ("ATN211", 'password = "abc"\n'),
    ("ATN211", 'password = "<your password>"\n'),
    ("ATN211", 'password = "${DB_PASSWORD}"\n'),
    ("ATN211", 'DB_PASSWORD = "{password}"\n'),
    ("ATN211", 'password = "test-password-123"\n'),
    ("ATN211", 'password = "dummy123"\n'),
    ("ATN211", 'password = os.environ["DB_PASSWORD"]\n'),
    ("ATN211", 'password = f"{user}{suffix}"\n'),
    ("ATN211", f'if password == "{PASSWORD}":\n    pass\n'),
    ("ATN211", 'password = "pbkdf2_sha256$600000$c2FsdA$aGFzaGhhc2hoYXNo"\n'),
    ("ATN211", 'password_help = "Enter a strong password"\n'),
    ("ATN211", 'PASSWORD_HASHER = "django.contrib.auth.hashers.Argon2PasswordHasher"\n'),
    ("ATN212", 'API_KEY = "aaaaaaaaaaaaaaaaaaaaaaaa"\n'),
    ("ATN212", 'CSRF_HEADER_TOKEN = "HTTP_X_CSRFTOKEN"\n'),
    ("ATN212", 'SECRET_KEY_PREFIX = "django-insecure-"\n'),
    ("ATN212", 'token_template = "registration/password_reset_confirm.html"\n'),
    ("ATN212", 'api_key = "short1A"\n'),
]


def test_every_rule_has_vulnerable_and_safe_cases() -> None:
    assert {rule for rule, _, _ in VULNERABLE} == set(RULES)
    assert {rule for rule, _ in SAFE} == set(RULES)


@pytest.mark.parametrize(("rule_id", "line", "source"), VULNERABLE)
def test_vulnerable(rule_id: str, line: int, source: str) -> None:
    findings = find_secrets(source, "config/settings.py")
    assert [(f.rule_id, f.line) for f in findings] == [(rule_id, line)]
    [finding] = findings
    assert finding.cwe == RULES[rule_id].cwe
    assert finding.category == "hardcoded-secret"
    assert finding.file == "config/settings.py"
    assert finding.tool == "attune" and finding.tools == ["attune"]


@pytest.mark.parametrize(("rule_id", "source"), SAFE)
def test_safe(rule_id: str, source: str) -> None:
    assert find_secrets(source, "a.py") == []


def test_cwes() -> None:
    assert RULES["ATN211"].cwe == 259  # hard-coded password
    assert {r.cwe for k, r in RULES.items() if k != "ATN211"} == {798}


def test_snippet_is_redacted() -> None:
    [finding] = find_secrets(f'client = Github("{GITHUB}")  # ci bot\n', "a.py")
    assert GITHUB not in finding.snippet
    assert finding.snippet.startswith('client = Github("ghp_') and "********" in finding.snippet
    assert finding.snippet.endswith('")  # ci bot')
    assert finding.column == len('client = Github("') + 1


def test_line_numbers_with_crlf_and_lowercase_expanding_characters() -> None:
    source = f'# İstanbul\r\nx = 1\r\npassword = "{PASSWORD}"\r\n'
    [finding] = find_secrets(source, "a.py")
    assert (finding.line, finding.column) == (3, len('password = "') + 1)


def test_several_secrets_in_one_file() -> None:
    source = f'A = "{AWS_KEY_ID}"\n\nB = "{STRIPE}"\nC = "{STRIPE}"\n'
    assert [(f.rule_id, f.line) for f in find_secrets(source, "a.py")] == [
        ("ATN201", 1),
        ("ATN205", 3),
        ("ATN205", 4),
    ]


def test_shannon_entropy() -> None:
    assert shannon_entropy("aaaa") == 0
    assert shannon_entropy("ab" * 8) == 1.0
    assert shannon_entropy(token(32)) > 4
