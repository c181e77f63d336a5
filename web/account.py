"""Sign up, log in, log out, and one's profile (name and city)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth.login import check_login
from api.auth.policy import Action, authorize
from api.deps import PasswordsDep, StorageDep
from api.routing import Router
from storage.errors import Conflict
from storage.types import NewUser, SignUp, UserUpdate
from web.forms import FORM_ERROR, read, validate, whole_number
from web.rendering import render
from web.session import PageCaller, end_session, start_session

router = Router(include_in_schema=False)
SIGN_UP_FIELDS = ("username", "name", "email", "age", "city")


def _next(target: str | None) -> str:
    # Only a path on this site: never an absolute or protocol-relative URL.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/signup")
async def sign_up_form(request: Request, caller: PageCaller) -> HTMLResponse:
    """The sign-up form."""
    return render(request, "signup.html")


@router.post("/signup")
async def sign_up(
    request: Request, storage: StorageDep, passwords: PasswordsDep, caller: PageCaller
) -> Response:
    """Create an account (the rules of ``POST /users``), sign in, go home."""
    form = await read(request)
    data = {name: form.get(name, "") for name in SIGN_UP_FIELDS}
    data["city"] = data["city"] or "Unknown"
    body = {**data, "age": whole_number(data["age"]), "password": form.get("password", "")}
    signed, errors = validate(SignUp, body)
    if signed is not None:
        password_hash = await passwords.hash(signed.password.get_secret_value())
        account = NewUser(**signed.model_dump(exclude={"password"}), password_hash=password_hash)
        seen = request.app.state.shared.begin()  # the sign-up's commit, for the new session
        try:
            user = await storage.users.create(account)
        except Conflict as exc:
            field = "email" if "mail" in exc.message.lower() else "username"
            errors = {field: exc.message}
        else:
            await request.app.state.shared.adopt(seen, user.id)
            credentials = await storage.credentials.by_id(user.id)
            assert credentials is not None
            response = _redirect("/")
            start_session(request, response, credentials)
            return response
    return render(request, "signup.html", status=422, values=data, errors=errors)


@router.get("/login")
async def log_in_form(request: Request, caller: PageCaller) -> HTMLResponse:
    """The log-in form."""
    return render(request, "login.html", next=_next(request.query_params.get("next")))


@router.post("/login")
async def log_in(
    request: Request, storage: StorageDep, passwords: PasswordsDep, caller: PageCaller
) -> Response:
    """Check the password as ``POST /auth/token`` does (throttled), set the session cookie."""
    form = await read(request)
    login, target = form.get("username", ""), _next(form.get("next"))
    try:
        account = await check_login(request, storage, passwords, login, form.get("password", ""))
    except HTTPException as exc:
        errors = {FORM_ERROR: str(exc.detail)}
        page = render(
            request,
            "login.html",
            status=exc.status_code,
            values={"username": login},
            errors=errors,
            next=target,
        )
        if "Retry-After" in (exc.headers or {}):
            page.headers["Retry-After"] = (exc.headers or {})["Retry-After"]
        return page
    response = _redirect(target)
    start_session(request, response, account)
    return response


@router.post("/logout")
async def log_out(request: Request, caller: PageCaller) -> Response:
    """Log the session's token out and forget the cookie."""
    await read(request)
    response = _redirect("/")
    await end_session(request, response)
    return response


@router.get("/account")
async def profile_form(request: Request, storage: StorageDep, caller: PageCaller) -> HTMLResponse:
    """One's profile: name and city (and picture)."""
    account = authorize(caller, Action.UPDATE_USER, owner=caller.id if caller else None)
    user = await storage.users.get(account.id)
    return render(request, "account.html", user=user, values=user.model_dump())


@router.post("/account")
async def profile(request: Request, storage: StorageDep, caller: PageCaller) -> Response:
    """Change one's name and city."""
    account = authorize(caller, Action.UPDATE_USER, owner=caller.id if caller else None)
    form = await read(request)
    values = {"name": form.get("name", ""), "city": form.get("city", "")}
    changes, errors = validate(UserUpdate, values)
    if changes is not None:
        user = await storage.users.update(account.id, changes)
        return _redirect(f"/u/{user.username}")
    user = await storage.users.get(account.id)
    return render(request, "account.html", status=422, user=user, values=values, errors=errors)
