"""Login/logout pages, Krill's token login/refresh, and the login rate limit's answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from .tokens import InvalidRefreshToken, issue_user_tokens, refresh_user_tokens

LOCKOUT_MESSAGE = "Too many failed login attempts. Try again later or ask an administrator to unlock the account."


def lockout_response(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """What django-axes answers to a locked-out username/IP (HTTP 429)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKOUT_MESSAGE, "code": "locked_out"}, status=429)
    return render(request, "portal/login.html", {"locked_out": True, "lockout_message": LOCKOUT_MESSAGE}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        messages.info(request, "You have been logged out.")
        return super().post(request, *args, **kwargs)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


TOKEN_PAIR = inline_serializer("TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()})


class LoginRateThrottle(AnonRateThrottle):
    """A coarse per-IP ceiling on top of axes' per-username lockout."""

    scope = "login"
    rate = "30/min"


class TokenLoginView(APIView):
    """Krill ``POST /api/v2/auth/login``: username/password (form or JSON) → access/refresh."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=LoginSerializer,
        responses={200: TOKEN_PAIR},
        examples=[OpenApiExample("login", value={"username": "noc", "password": "secret"}, request_only=True)],
        auth=[],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response({"detail": LOCKOUT_MESSAGE, "code": "locked_out"}, status=429)
        if user is None or not user.is_active:
            return Response(
                {"detail": "Unable to log in with the provided credentials.", "code": "authentication_failed"},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        tokens = issue_user_tokens(user)
        return Response({"access": tokens.access, "refresh": tokens.refresh})


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenRefreshView(APIView):
    """Krill ``POST /api/v2/auth/refresh``: a refresh token → a new access/refresh pair."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(tags=["auth"], request=RefreshSerializer, responses={200: TOKEN_PAIR}, auth=[])
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            tokens = refresh_user_tokens(serializer.validated_data["refresh"])
        except InvalidRefreshToken as exc:
            return Response({"detail": str(exc), "code": "token_not_valid"}, status=status.HTTP_401_UNAUTHORIZED)
        return Response({"access": tokens.access, "refresh": tokens.refresh})
