"""The meal wallet: counter top-ups (API and CLI, batches all or nothing), charges that never overdraw, and the
ledger that always adds up."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from linli.core.errors import Problem
from linli.core.models import AuditLog, RoleAssignment, Street, User
from linli.core.services import token_create
from linli.meals.models import Wallet, WalletEntry
from linli.meals.services import wallet as w
from linli.meals.tests.factories import OrderFactory, StreetFactory, UserFactory

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


def staff_of(street, role="station_staff"):
    user = UserFactory()
    RoleAssignment.objects.create(user=user, street=street, role=role)
    return user


def assert_ledger_adds_up(user) -> None:
    wallet = Wallet.objects.get(user=user)
    entries = list(WalletEntry.objects.filter(wallet=wallet).order_by("at", "id"))
    assert wallet.balance_fen == sum(e.amount_fen for e in entries)
    running = 0
    for entry in entries:
        running += entry.amount_fen
        assert entry.balance_after_fen == running >= 0


def test_topup_charge_refund_keep_the_ledger_exact():
    street = StreetFactory()
    resident = UserFactory()
    clerk = staff_of(street)
    w.wallet_topup(user=resident, amount_fen=5000, actor=clerk, street=street, note="现金")
    order = OrderFactory(street=street, user=resident, total_fen=1800, list_fen=1800)
    w.wallet_charge(user=resident, amount_fen=1800, order=order, street=street)
    w.wallet_refund(user=resident, amount_fen=1800, order=order)
    w.wallet_charge(user=resident, amount_fen=1800, order=order, street=street)
    assert w.wallet_balance(user=resident) == 3200
    assert list(WalletEntry.objects.order_by("id").values_list("kind", "amount_fen", "balance_after_fen")) == [
        ("topup", 5000, 5000),
        ("charge", -1800, 3200),
        ("refund", 1800, 5000),
        ("charge", -1800, 3200),
    ]
    assert_ledger_adds_up(resident)
    assert AuditLog.objects.filter(action="wallet.topup", actor=clerk, street=street).count() == 1


def test_a_charge_beyond_the_balance_is_refused_and_writes_nothing():
    street = StreetFactory()
    resident = UserFactory()
    w.wallet_topup(user=resident, amount_fen=1000, actor=None)
    order = OrderFactory(street=street, user=resident)
    with pytest.raises(Problem) as exc:
        w.wallet_charge(user=resident, amount_fen=1001, order=order, street=street)
    assert exc.value.code == "insufficient_balance"
    assert exc.value.extra == {"balance_fen": 1000, "needed_fen": 1001}
    assert w.wallet_balance(user=resident) == 1000
    assert WalletEntry.objects.count() == 1
    assert_ledger_adds_up(resident)


@pytest.mark.parametrize("amount", [0, -5, w.MAX_TOPUP_FEN + 1])
def test_topup_amount_must_be_positive_and_sane(amount):
    with pytest.raises(Problem) as exc:
        w.wallet_topup(user=UserFactory(), amount_fen=amount, actor=None)
    assert exc.value.code == "validation_error"
    assert not WalletEntry.objects.exists()


def test_counter_topup_api_for_station_staff_of_the_street_only(client):
    street, other = StreetFactory(code="wa"), StreetFactory(code="wb")
    clerk, outsider, resident = staff_of(street), staff_of(other), UserFactory(phone="+8613911112222")
    body = {"phone": "139 1111 2222", "amount_fen": 3000, "street": "wa", "note": "柜台现金"}
    resp = client.post("/api/v1/meals/wallets/topup", body, content_type="application/json", **auth(clerk))
    assert resp.status_code == 201, resp.content
    assert resp.json()["phone"] == "139****2222" and resp.json()["balance_fen"] == 3000
    for user in (outsider, resident):
        resp = client.post("/api/v1/meals/wallets/topup", body, content_type="application/json", **auth(user))
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    bad = client.post(
        "/api/v1/meals/wallets/topup", {**body, "amount_fen": -1}, content_type="application/json", **auth(clerk)
    )
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert w.wallet_balance(user=resident) == 3000


def test_my_wallet_shows_balance_and_entries_newest_first(client):
    StreetFactory(code="wm")
    resident = UserFactory()
    w.wallet_topup(user=resident, amount_fen=1000, actor=None)
    w.wallet_topup(user=resident, amount_fen=500, actor=None, note="补贴")
    resp = client.get("/api/v1/me/wallet", **auth(resident))
    assert resp.status_code == 200
    data = resp.json()
    assert data["balance_fen"] == 1500
    assert [(e["amount_fen"], e["note"]) for e in data["entries"]] == [(500, "补贴"), (1000, "")]
    assert client.get("/api/v1/me/wallet").status_code == 401


def cli(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_topup_one_resident_and_balance():
    StreetFactory()  # the only street: a top-up without --street goes to its wallet
    out, _ = cli("wallet", "topup", "13800001111", "2500")
    assert "138****1111" in out and out.strip().endswith("2500")
    out, _ = cli("wallet", "balance", "13800001111")
    assert out.strip() == "2500"


def test_cli_batch_is_all_or_nothing(tmp_path):
    StreetFactory()
    bad = tmp_path / "bad.csv"
    bad.write_text("\ufeffphone,fen,note\n13800001111,1000,十二月补贴\n1234,500,\n13800002222,abc,\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        cli("wallet", "topup", "--csv", str(bad))
    assert "csv_invalid" in str(exc.value) and "[3]" in str(exc.value) and "[4]" in str(exc.value)
    assert not WalletEntry.objects.exists() and not User.objects.filter(phone="+8613800001111").exists()

    good = tmp_path / "good.csv"
    good.write_text("phone,fen,note\n13800001111,1000,十二月补贴\n13800002222,2000,\n", encoding="utf-8")
    _, err = cli("wallet", "topup", "--csv", str(good))
    assert "2 wallet(s), 3000 fen" in err
    assert WalletEntry.objects.aggregate(s=Sum("amount_fen"))["s"] == 3000
    assert WalletEntry.objects.get(wallet__user__phone="+8613800001111").note == "十二月补贴"


def test_counter_page_tops_up_in_yuan_and_shows_the_ledger(client):
    from linli.meals.views.counter import yuan_to_fen

    street = StreetFactory(code="wc")
    clerk = staff_of(street)
    client.force_login(clerk)
    page = client.get("/staff/meals/counter/?street=wc")
    assert page.status_code == 200 and "助餐钱包充值" in page.content.decode()
    form = {"street": "wc", "phone": "13900003333", "amount": "12.5", "note": "现金"}
    ask = client.post("/staff/meals/counter/", form)  # a number without an account: confirm the person first
    assert ask.status_code == 409 and 'name="confirm_new"' in ask.content.decode()
    assert not User.objects.filter(phone="+8613900003333").exists()
    resp = client.post("/staff/meals/counter/", {**form, "name": "陈阿姨", "confirm_new": "1"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "139****3333" in body and "12.50" in body
    assert w.wallet_balance(user=User.objects.get(phone="+8613900003333")) == 1250
    bad = client.post("/staff/meals/counter/", {"street": "wc", "phone": "13900003333", "amount": "1.234"})
    assert bad.status_code == 422 and "请输入正确的金额" in bad.content.decode()
    assert yuan_to_fen("￥50") == 5000 and yuan_to_fen("0.01") == 1
    for raw in ("", "-3", "abc", "1e3x", "NaN", "Infinity"):
        with pytest.raises(Problem):
            yuan_to_fen(raw)


def test_counter_page_is_for_staff_only(client):
    StreetFactory(code="wd")
    client.force_login(UserFactory())
    assert client.get("/staff/meals/counter/?street=wd").status_code == 403


def test_cli_batch_reads_what_a_counter_saves_from_excel(tmp_path):
    # GBK (Excel on a Chinese Windows), Chinese header, extra column, spaces, full-width digits, a thousands separator,
    # a blank line: all read; a yuan amount is still refused (fen only, no guessing at a decimal point).
    StreetFactory()
    path = tmp_path / "topups.csv"
    path.write_bytes(
        '手机号, 金额(分) ,备注,经办人\n138 0000 1111 ,"1,000",十二月补贴,王\n\n13800002222,２０００,,李\n'.encode(
            "gbk"
        )
    )
    _, err = cli("wallet", "topup", "--csv", str(path))
    assert "2 wallet(s), 3000 fen" in err
    assert WalletEntry.objects.get(wallet__user__phone="+8613800001111").note == "十二月补贴"
    yuan = tmp_path / "yuan.csv"
    yuan.write_text("phone,fen\n13800003333,12.50\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        cli("wallet", "topup", "--csv", str(yuan))
    assert "[2]" in str(exc.value)


def test_street_staff_see_and_top_up_only_what_their_street_holds(client):
    """A street funds its own subsidies: each street's wallet of a person is its own, the answer to a top-up and
    the counter's look-up show that street's part only, and an order spends only its street's money."""
    a, b = StreetFactory(code="wsa"), StreetFactory(code="wsb")
    clerk_a, clerk_b = staff_of(a), staff_of(b)
    resident = UserFactory(phone="+8613911113333")
    w.wallet_topup(user=resident, amount_fen=50_000, actor=clerk_a, street=a)
    body = {"phone": "13911113333", "amount_fen": 1000, "street": "wsb"}
    resp = client.post("/api/v1/meals/wallets/topup", body, content_type="application/json", **auth(clerk_b))
    assert resp.status_code == 201 and resp.json()["balance_fen"] == 1000  # not 51,000
    client.force_login(clerk_b)
    page = client.post("/staff/meals/counter/", {"street": "wsb", "action": "lookup", "phone": "13911113333"})
    html = page.content.decode()
    assert page.status_code == 200 and "10.00" in html and "510.00" not in html and "500.00" not in html
    assert w.wallet_balance(user=resident, street=a) == 50_000 and w.wallet_balance(user=resident) == 51_000
    order = OrderFactory(street=b, user=resident)
    with pytest.raises(Problem) as exc:
        w.wallet_charge(user=resident, amount_fen=1001, order=order, street=b)  # street A's money stays A's
    assert exc.value.code == "insufficient_balance" and exc.value.extra["balance_fen"] == 1000
    mine = client.get("/api/v1/me/wallet", **auth(resident)).json()
    assert mine["balance_fen"] == 51_000
    assert {x["street"]: x["balance_fen"] for x in mine["wallets"]} == {"wsa": 50_000, "wsb": 1000}
    for wallet in Wallet.objects.filter(user=resident):
        entries = WalletEntry.objects.filter(wallet=wallet)
        assert wallet.balance_fen == sum(e.amount_fen for e in entries)


def test_a_topup_for_a_number_without_an_account_confirms_the_person_first(client):
    StreetFactory(code="wn")
    clerk = staff_of(Street.objects.get(code="wn"))
    body = {"phone": "13922224444", "amount_fen": 2000, "street": "wn"}
    resp = client.post("/api/v1/meals/wallets/topup", body, content_type="application/json", **auth(clerk))
    assert resp.status_code == 409 and resp.json()["code"] == "account_confirmation_required"
    half = {**body, "confirm_new_account": True}  # confirmed, but who? a name is needed too
    assert (
        client.post("/api/v1/meals/wallets/topup", half, content_type="application/json", **auth(clerk)).status_code
        == 409
    )
    assert not User.objects.filter(phone="+8613922224444").exists() and not WalletEntry.objects.exists()
    full = {**half, "name": "刘伯伯"}
    resp = client.post("/api/v1/meals/wallets/topup", full, content_type="application/json", **auth(clerk))
    assert resp.status_code == 201 and resp.json()["new_account"] is True
    assert User.objects.get(phone="+8613922224444").display_name == "刘伯伯"
    assert AuditLog.objects.filter(action="wallet.account_created", actor=clerk).count() == 1
    again = client.post("/api/v1/meals/wallets/topup", body, content_type="application/json", **auth(clerk))
    assert again.status_code == 201 and again.json()["new_account"] is False and again.json()["balance_fen"] == 4000


def test_the_counter_looks_a_balance_up_by_post_never_by_url(client):
    street = StreetFactory(code="wl")
    clerk = staff_of(street)
    w.wallet_topup(user=UserFactory(phone="+8613933335555"), amount_fen=700, actor=clerk, street=street)
    client.force_login(clerk)
    assert 'id="counter-ledger"' not in client.get("/staff/meals/counter/?street=wl&phone=13933335555").content.decode()
    html = client.post("/staff/meals/counter/", {"street": "wl", "action": "lookup", "phone": "13933335555"})
    assert 'id="counter-ledger"' in html.content.decode() and "7.00" in html.content.decode()
    assert (
        'id="counter-lookup"' in html.content.decode()
        and 'method="post" class="inline-form" id="counter-lookup"' in html.content.decode()
    )
