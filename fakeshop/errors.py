"""WooCommerce REST errors, declared together as data, and their wire shape.

WordPress answers every REST failure with ``{"code": "...", "message": "...",
"data": {"status": N}}`` (``rest_invalid_param`` adds ``data.params``). Codes and texts
below are WooCommerce's and WordPress core's; ``{...}`` placeholders are filled per call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table: WP error code, HTTP status, message template."""

    code: str
    status: int
    template: str


ERRORS: dict[str, ErrorKind] = {
    # authentication (class-wc-rest-authentication.php)
    "consumer_key_invalid": ErrorKind(
        "woocommerce_rest_authentication_error", 401, "Consumer key is invalid."
    ),
    "consumer_secret_invalid": ErrorKind(
        "woocommerce_rest_authentication_error", 401, "Consumer secret is invalid."
    ),
    "signature_mismatch": ErrorKind(
        "woocommerce_rest_authentication_error",
        401,
        "Invalid signature - provided signature does not match.",
    ),
    "signature_method": ErrorKind(
        "woocommerce_rest_authentication_error",
        401,
        "Invalid signature - signature method is invalid.",
    ),
    "timestamp": ErrorKind("woocommerce_rest_authentication_error", 401, "Invalid timestamp."),
    "nonce_used": ErrorKind(
        "woocommerce_rest_authentication_error", 401, "Invalid nonce - nonce has already been used."
    ),
    "missing_oauth": ErrorKind(
        "woocommerce_rest_authentication_missing_parameter", 401, "{message}"
    ),
    "no_read": ErrorKind(
        "woocommerce_rest_authentication_error",
        401,
        "The API key provided does not have read permissions.",
    ),
    "no_write": ErrorKind(
        "woocommerce_rest_authentication_error",
        401,
        "The API key provided does not have write permissions.",
    ),
    # permission callbacks when nobody is authenticated (rest_authorization_required_code)
    "cannot_list": ErrorKind(
        "woocommerce_rest_cannot_view", 401, "Sorry, you cannot list resources."
    ),
    "cannot_view": ErrorKind(
        "woocommerce_rest_cannot_view", 401, "Sorry, you cannot view this resource."
    ),
    "cannot_create": ErrorKind(
        "woocommerce_rest_cannot_create", 401, "Sorry, you are not allowed to create resources."
    ),
    "cannot_edit": ErrorKind(
        "woocommerce_rest_cannot_edit", 401, "Sorry, you are not allowed to edit this resource."
    ),
    "cannot_delete": ErrorKind(
        "woocommerce_rest_cannot_delete", 401, "Sorry, you are not allowed to delete this resource."
    ),
    "cannot_batch": ErrorKind(
        "woocommerce_rest_cannot_batch",
        401,
        "Sorry, you are not allowed to batch manipulate this resource.",
    ),
    # WordPress REST server
    "no_route": ErrorKind(
        "rest_no_route", 404, "No route was found matching the URL and request method."
    ),
    "invalid_json": ErrorKind("rest_invalid_json", 400, "Invalid JSON body passed."),
    "invalid_param": ErrorKind("rest_invalid_param", 400, "Invalid parameter(s): {names}"),
    "missing_param": ErrorKind("rest_missing_callback_param", 400, "Missing parameter(s): {names}"),
    "too_large": ErrorKind(
        "rest_request_entity_too_large", 413, "Request body is larger than {limit} bytes."
    ),
    # built from the controller's object type (post type), as WC_REST_CRUD_Controller does
    "exists": ErrorKind("woocommerce_rest_{type}_exists", 400, "Cannot create existing {type}."),
    "invalid_id": ErrorKind("woocommerce_rest_{type}_invalid_id", 404, "Invalid ID."),
    "invalid_id_400": ErrorKind("woocommerce_rest_{type}_invalid_id", 400, "ID is invalid."),
    "already_trashed": ErrorKind(
        "woocommerce_rest_already_trashed", 410, "The {type} has already been deleted."
    ),
    "cannot_delete_item": ErrorKind(
        "woocommerce_rest_cannot_delete", 500, "The {type} cannot be deleted."
    ),
    # POST /orders (WC_REST_Orders_V2_Controller::prepare_object_for_database, set_item)
    "invalid_customer_id": ErrorKind(
        "woocommerce_rest_invalid_customer_id", 400, "Customer ID is invalid."
    ),
    "required_product_reference": ErrorKind(
        "woocommerce_rest_required_product_reference", 400, "Product ID or SKU is required."
    ),
    "invalid_line_product": ErrorKind(
        "woocommerce_rest_invalid_product_id", 400, "Product ID provided is invalid."
    ),
    "invalid_coupon": ErrorKind(
        "woocommerce_rest_invalid_coupon",
        400,
        'Coupon "{code}" cannot be applied because it does not exist.',
    ),
    "coupon_code_required": ErrorKind(
        "woocommerce_rest_invalid_coupon", 400, "Coupon code is required."
    ),
    # customers (class-wc-rest-customers-v1-controller.php, wc_create_new_customer)
    "customer_invalid_id": ErrorKind("woocommerce_rest_invalid_id", 404, "Invalid resource ID."),
    "customer_invalid_id_400": ErrorKind(
        "woocommerce_rest_invalid_id", 400, "Invalid resource ID."
    ),
    "customer_exists": ErrorKind(
        "woocommerce_rest_customer_exists", 400, "Cannot create existing resource."
    ),
    "email_exists": ErrorKind(
        "registration-error-email-exists",
        400,
        'An account is already registered with your email address. <a href="#" '
        'class="showlogin">Please log in.</a>',
    ),
    "username_exists": ErrorKind(
        "registration-error-username-exists",
        400,
        "An account is already registered with that username. Please choose another.",
    ),
    "customer_invalid_email": ErrorKind(
        "woocommerce_rest_customer_invalid_email", 400, "Email address is invalid."
    ),
    "username_not_editable": ErrorKind(
        "woocommerce_rest_customer_invalid_argument", 400, "Username isn't editable."
    ),
    # orders, notes, refunds
    "order_invalid_id": ErrorKind("woocommerce_rest_shop_order_invalid_id", 404, "Invalid ID."),
    "order_invalid_id_400": ErrorKind("woocommerce_rest_shop_order_invalid_id", 400, "Invalid ID."),
    # notes (class-wc-rest-order-notes-v1-controller.php): listing checks the parent with
    # a code built from the post type, create/read/delete with a literal one; a missing
    # note is the generic "woocommerce_rest_invalid_id"
    "order_note_invalid_id": ErrorKind("woocommerce_rest_invalid_id", 404, "Invalid resource ID."),
    "parent_order_invalid_id": ErrorKind(
        "woocommerce_rest_order_invalid_id", 404, "Invalid order ID."
    ),
    "notes_parent_invalid_id": ErrorKind(
        "woocommerce_rest_shop_order_invalid_id", 404, "Invalid order ID."
    ),
    # refunds: real WooCommerce passes 404 as bare error data, so WordPress answers 500
    # with "data": 404; fakeshop answers 404 (documented deviation)
    "refund_parent_invalid_id": ErrorKind(
        "woocommerce_rest_invalid_order_id", 404, "Invalid order ID."
    ),
    "refund_invalid_id": ErrorKind(
        "woocommerce_rest_shop_order_refund_invalid_id", 404, "Invalid ID."
    ),
    "refund_amount_zero": ErrorKind(
        "woocommerce_rest_invalid_order_refund", 400, "Refund amount must be greater than zero."
    ),
    # real WooCommerce answers wc_create_refund() errors with status 500; fakeshop answers 400
    "refund_amount_invalid": ErrorKind(
        "woocommerce_rest_cannot_create_order_refund", 400, "Invalid refund amount."
    ),
    "trash_not_supported": ErrorKind(
        "woocommerce_rest_trash_not_supported", 501, "{what} do not support trashing."
    ),
    "order_already_trashed": ErrorKind(
        "woocommerce_rest_already_trashed", 410, "The shop_order has already been deleted."
    ),
    # products
    "product_invalid_id": ErrorKind("woocommerce_rest_product_invalid_id", 404, "Invalid ID."),
    "product_invalid_id_400": ErrorKind("woocommerce_rest_product_invalid_id", 400, "Invalid ID."),
    "invalid_sku": ErrorKind("product_invalid_sku", 400, "Invalid or duplicated SKU."),
    "invalid_variable_parent": ErrorKind(
        "woocommerce_rest_product_variation_invalid_parent", 404, "Invalid parent product ID."
    ),
    "variation_invalid_id": ErrorKind(
        "woocommerce_rest_product_variation_invalid_id", 404, "Invalid ID."
    ),
    "batch_too_large": ErrorKind(
        "woocommerce_rest_request_entity_too_large",
        413,
        "Unable to accept more than {limit} items for this request.",
    ),
    # webhooks (class-wc-rest-webhooks-v1-controller.php): codes built from the post type
    # "shop_webhook"; a missing id is 400 "ID is invalid." on read and update (from
    # prepare_item_for_response) and 404 "Invalid ID." on delete
    "webhook_invalid_id": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_id", 400, "ID is invalid."
    ),
    "webhook_invalid_id_404": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_id", 404, "Invalid ID."
    ),
    "webhook_invalid_topic": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_topic",
        400,
        "Webhook topic is required and must be valid.",
    ),
    "webhook_invalid_topic_update": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_topic", 400, "Webhook topic must be valid."
    ),
    "webhook_invalid_url": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_delivery_url",
        400,
        "Webhook delivery URL must be a valid URL starting with http:// or https://.",
    ),
    "webhook_invalid_status": ErrorKind(
        "woocommerce_rest_shop_webhook_invalid_status", 400, "Webhook status must be valid."
    ),
    "webhook_exists": ErrorKind(
        "woocommerce_rest_shop_webhook_exists", 400, "Cannot create existing shop_webhook."
    ),
    "webhook_ping_failed": ErrorKind(
        "error", 400, "Error: Delivery URL returned response code: {code}"
    ),
    "webhook_ping_unreachable": ErrorKind(
        "error", 400, "Error: Delivery URL cannot be reached: {reason}"
    ),
}


@dataclass
class WooError(Exception):
    """A WooCommerce REST error ready to be rendered; raise it anywhere in a handler."""

    kind: str
    params: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] | None = None  # data.params for rest_invalid_param
    headers: dict[str, str] = field(default_factory=dict)
    #: more ``data`` members (``WC_Data_Exception`` error data, e.g. ``resource_id``)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def row(self) -> ErrorKind:
        return ERRORS[self.kind]

    @property
    def status(self) -> int:
        return self.row.status

    @property
    def code(self) -> str:
        # codes built from the object type, as WooCommerce does ("woocommerce_rest_{type}_…")
        return self.row.code.format(**self.params) if "{" in self.row.code else self.row.code

    @property
    def message(self) -> str:
        return self.row.template.format(**self.params)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.invalid is not None:
            data["params"] = dict(self.invalid)
        data.update(self.extra)
        return {"code": self.code, "message": self.message, "data": data}

    def item_error(self) -> dict[str, Any]:
        """The shape of a failed item inside a batch response (``{"error": {...}}``)."""
        return self.body()

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            text=json.dumps(self.body()),
            content_type="application/json",
            headers=self.headers,
        )


def invalid_param(**problems: str) -> WooError:
    """``rest_invalid_param`` naming each bad parameter, as WordPress's arg validation does."""
    return WooError("invalid_param", {"names": ", ".join(problems)}, invalid=dict(problems))
