"""The emulated Service Layer's state and behaviour, without HTTP (moto's ``models``).

One ``FakeSap`` holds sessions, master data, documents, numbering and ground truth. Every
change is validated first and then applied in one synchronous step (no ``await`` between
check and write), so a refused document changes nothing and the uniqueness guard is
atomic. The HTTP layer, the fault engine and the back office all call the same methods.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fakesap.config import FakeSapConfig
from fakesap.documents import stock
from fakesap.documents.actions import ACTIONS, plan_action
from fakesap.documents.builder import BuildContext, prepare_document
from fakesap.documents.compact import DocumentStore
from fakesap.documents.patch import prepare_patch
from fakesap.documents.payments import prepare_payment
from fakesap.documents.schema import (
    DOCUMENT_KINDS,
    DOCUMENT_SETS,
    PAYMENT_SETS,
    DocKind,
)
from fakesap.documents.totals import ZERO
from fakesap.errors import SLError
from fakesap.group_commit import GroupCommit, PendingWrites
from fakesap.journal import Journal, iso_ms
from fakesap.masterdata import (
    MASTER_KEYS,
    MASTER_SETS,
    MasterData,
    masterdata_from_catalog,
    upsert_rows,
)
from fakesap.persistence import SqlitePersistence, TruthRow
from fakesap.sessions import SessionStore
from fakesap.truth import BodyArchive, TruthRecord
from sapchaos.catalog import Catalog, load_catalog, parse_catalog
from sapchaos.logs import get_logger

__all__ = ["FakeSap", "FakeSapConfig", "TruthRecord", "iso_ms"]

Subscriber = Callable[[str, str, dict[str, Any]], Awaitable[None] | None]
PAYMENT_KIND = DocKind("IncomingPayments", 24, "ORCT", "RCT2", (), "none", series=24)
ENTITY_SETS = (*DOCUMENT_SETS, *MASTER_SETS)


class FakeSap:
    """The emulator state: call its methods from HTTP handlers, faults and the back office."""

    def __init__(
        self,
        config: FakeSapConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        catalog: Catalog | None = None,
    ) -> None:
        self.config = config or FakeSapConfig()
        self.clock = clock
        self.log = get_logger("fakesap")
        self.catalog = catalog or load_catalog(self.config.catalog_path)
        self.sessions = SessionStore(clock, self.config.session_timeout_min)
        self.subscribers: list[Subscriber] = []
        self._moment_second = -1
        self._moment_cache = ("", "")
        self.journal = Journal(self.config.journal_size)
        self.persistence: SqlitePersistence | None = None
        self.commits: GroupCommit | None = None
        self._fresh_state()
        if self.config.persist_path:
            self.persistence = SqlitePersistence(self.config.persist_path)
            self.commits = GroupCommit(self._write_batch)
            self._restore()

    # ---- state set-up --------------------------------------------------------------------
    def _fresh_state(self) -> None:
        self.md: MasterData = masterdata_from_catalog(self.catalog)
        self.docs: dict[str, dict[int, dict[str, Any]]] = {s: {} for s in DOCUMENT_SETS}
        #: keeps committed documents compact (shared row keys and amounts)
        self.store = DocumentStore()
        self.gross: dict[tuple[str, int], frozenset[int]] = {}
        self.next_entry: dict[str, int] = dict.fromkeys(DOCUMENT_SETS, 1)
        self.next_num: dict[str, int] = dict.fromkeys(DOCUMENT_SETS, self.config.docnum_start)
        self.truth: list[TruthRecord] = []
        #: the ground truth's request bodies, deflated in blocks
        self.bodies = BodyArchive()
        #: uniqueness guard: entity set -> UDF value -> DocEntry (one dict per set, so no
        #: key tuple per document)
        self.guard: dict[str, dict[str, int]] = {}
        self._contexts: dict[str, BuildContext] = {}
        #: SQLQueries definitions by SqlCode (memory only; see fakesap.sqlqueries)
        self.sql_queries: dict[str, dict[str, Any]] = {}
        #: numbering series of BusinessPartners created without a CardCode: last number
        self.bp_series: dict[int, int] = {}
        self._set_udfs()

    def _set_udfs(self) -> None:
        udfs = self.config.udfs if self.config.udfs is not None else self.catalog.udfs
        self.udfs = {table: frozenset(names) for table, names in udfs.items()}
        guard = self.config.uniqueness_guard_udf
        self.freight_vat_group = self.catalog.tax_class(self.catalog.shipping.tax_class).vat_group
        if guard:
            for kind in (*DOCUMENT_KINDS.values(), PAYMENT_KIND):
                table = kind.header_table
                self.udfs[table] = self.udfs.get(table, frozenset()) | {guard}

    def _master_rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(es, key, row) for es in MASTER_SETS for key, row in self.md.table(es).items()]

    def _restore(self) -> None:
        assert self.persistence is not None
        snap = self.persistence.load()
        if snap.master:
            for es in MASTER_SETS:
                table = self.md.table(es)
                table.clear()
                table.update(snap.master.get(es, {}))
            self.md.reindex()
        else:
            self.persistence.commit(master=self._master_rows())
        for es, rows in snap.documents.items():
            for entry, (doc, gross) in rows.items():
                self.docs.setdefault(es, {})[entry] = self.store.compact(es, doc)
                if gross:
                    self.gross[(es, entry)] = gross
        for es, (entry, num) in snap.counters.items():
            self.next_entry[es], self.next_num[es] = entry, num
        for row in snap.truth:
            kind = DOCUMENT_KINDS.get(row.entity_set, PAYMENT_KIND)
            self.truth.append(
                TruthRecord(
                    row.entity_set,
                    kind.object_type,
                    row.doc_entry,
                    row.doc_num,
                    row.committed_at,
                    row.request_id,
                    row.request,
                    self.bodies,
                )
            )
        self._rebuild_guard()
        self.log.info("state_restored", path=self.config.persist_path, documents=len(self.truth))

    def _rebuild_guard(self) -> None:
        self.guard = {}
        udf = self.config.uniqueness_guard_udf
        if not udf:
            return
        for es, rows in self.docs.items():
            for entry, doc in rows.items():
                value = doc.get(udf)
                if value not in (None, "") and doc.get("Cancelled") != "tYES":
                    self.guard.setdefault(es, {}).setdefault(str(value), entry)

    def close(self) -> None:
        if self.commits is not None:
            self.commits.flush()
            self.commits = None
        if self.persistence is not None:
            self.persistence.close()
            self.persistence = None

    # ---- helpers -------------------------------------------------------------------------
    def _moment(self) -> tuple[str, str]:
        """(date, time) of now, formatted once per clock second (creates are hot)."""
        second = int(self.clock())
        if second != self._moment_second:
            moment = datetime.fromtimestamp(second, tz=UTC)
            self._moment_cache = (moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S"))
            self._moment_second = second
        return self._moment_cache

    def today(self) -> str:
        return self._moment()[0]

    def kind(self, entity_set: str) -> DocKind:
        kind = DOCUMENT_KINDS.get(entity_set)
        if kind is not None:
            return kind
        if entity_set in PAYMENT_SETS:
            return PAYMENT_KIND
        raise SLError.of("resource_not_found", segment=entity_set)

    def _find(self, entity_set: str, entry: int) -> dict[str, Any] | None:
        return self.docs.get(entity_set, {}).get(entry)

    def _gross_of(self, entity_set: str, entry: int) -> frozenset[int]:
        return self.gross.get((entity_set, entry), frozenset())

    def build_context(self, kind: DocKind) -> BuildContext:
        """The (cached) context for building documents of ``kind``, dated today."""
        ctx = self._contexts.get(kind.entity_set)
        if ctx is None or ctx.md is not self.md:
            ctx = self._new_context(kind)
            self._contexts[kind.entity_set] = ctx
        ctx.today = self.today()
        return ctx

    def _new_context(self, kind: DocKind) -> BuildContext:
        return BuildContext(
            md=self.md,
            kind=kind,
            header_udfs=self.udfs.get(kind.header_table, frozenset()),
            line_udfs=self.udfs.get(kind.line_table, frozenset()),
            today=self.today(),
            find=self._find,
            gross_lines=self._gross_of,
            price_decimals=self.config.price_decimals,
            allow_negative_stock=self.config.allow_negative_stock,
            freight_vat_group=self.freight_vat_group,
        )

    def _stamp(self, doc: dict[str, Any], created: bool) -> None:
        date, clock_time = self._moment()
        if created:
            doc["CreationDate"] = date
        doc["UpdateDate"] = date
        doc["UpdateTime"] = clock_time

    def _check_guard(self, entity_set: str, value: Any, own_entry: int | None = None) -> None:
        udf = self.config.uniqueness_guard_udf
        if not udf or value in (None, ""):
            return
        existing = self.guard.get(entity_set, {}).get(str(value))
        if existing is not None and existing != own_entry:
            other = self.docs[entity_set][existing]
            raise SLError.of(
                "duplicate_key",
                udf=udf,
                entity=entity_set,
                doc_entry=existing,
                doc_num=other["DocNum"],
                value=str(value)[:100],
            )

    async def _notify(self, event: str, entity_set: str, doc: dict[str, Any]) -> None:
        pending = self._notify_now(event, entity_set, doc)
        if pending is not None:
            await pending

    def _notify_now(
        self, event: str, entity_set: str, doc: dict[str, Any]
    ) -> Awaitable[None] | None:
        """Call the subscribers in order; synchronous ones right now (no coroutine per
        create). From the first one that returns an awaitable on, the rest run in order
        inside the returned coroutine."""
        subscribers = list(self.subscribers)
        for i, callback in enumerate(subscribers):
            try:
                result = callback(event, entity_set, doc)
            except Exception:  # a subscriber's bug must not fail the committed request
                self.log.exception("subscriber_failed", event_name=event, entity_set=entity_set)
                continue
            if result is not None and inspect.isawaitable(result):
                return self._notify_rest(result, subscribers[i + 1 :], event, entity_set, doc)
        return None

    async def _notify_rest(
        self,
        first: Awaitable[None],
        rest: list[Subscriber],
        event: str,
        entity_set: str,
        doc: dict[str, Any],
    ) -> None:
        try:
            await first
        except Exception:  # a subscriber's bug must not fail the committed request
            self.log.exception("subscriber_failed", event_name=event, entity_set=entity_set)
        for callback in rest:
            try:
                result = callback(event, entity_set, doc)
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception:
                self.log.exception("subscriber_failed", event_name=event, entity_set=entity_set)

    def _persist(
        self,
        docs: Iterable[tuple[str, int]],
        items: Iterable[str] = (),
        truth: TruthRecord | None = None,
        counters: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        """Queue a committed change for the next group commit (see ``fakesap.group_commit``)."""
        if self.commits is None:
            return
        self.commits.add(
            documents=docs,
            truth=TruthRow(
                truth.entity_set,
                truth.doc_entry,
                truth.doc_num,
                truth.committed_at,
                truth.request_id,
                request,
            )
            if truth
            else None,
            counters=counters,
            items=items,
        )

    def _write_batch(self, batch: PendingWrites) -> None:
        """One transaction with every row a batch touched, as it is now in memory."""
        assert self.persistence is not None
        self.persistence.commit(
            documents=[
                (es, e, self.docs[es][e], self._gross_of(es, e))
                for es, e in batch.documents
                if e in self.docs.get(es, {})
            ],
            truth=batch.truth,
            counters=[(es, self.next_entry[es], self.next_num[es]) for es in batch.counters],
            master=[("Items", code, self.md.items[code]) for code in batch.items],
        )

    async def _durable(self) -> None:
        """Wait until every change made so far is in the SQLite file (no-op in memory)."""
        if self.commits is not None:
            done = self.commits.committed()
            if done is not None:
                await done

    # ---- the seam (fault engine, back office, HTTP) ---------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(event, entity_set, document)`` after each committed change."""
        self.subscribers.append(callback)

    async def create_document(
        self, entity_set: str, body: dict[str, Any], *, request: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Validate, compute and commit a new document; raises ``SLError`` and changes
        nothing when anything is wrong. ``request`` (method, path, body, id) goes to the
        ground truth."""
        doc = self.create_document_now(entity_set, body, request=request)
        if self.commits is not None:
            await self._durable()  # the 201 only after the write is in the file
        if self.subscribers:
            pending = self._notify_now("created", entity_set, doc)
            if pending is not None:
                await pending
        return doc

    def create_document_now(
        self, entity_set: str, body: Any, *, request: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The synchronous core of ``create_document`` (no subscriber calls)."""
        kind = self.kind(entity_set)
        ctx = self.build_context(kind)
        udf = self.config.uniqueness_guard_udf
        if kind is PAYMENT_KIND:
            payment = prepare_payment(body, ctx)
            doc = payment.document
            if udf:
                self._check_guard(entity_set, doc.get(udf))
            return self._commit_payment(entity_set, doc, payment.applied, request)
        try:
            prepared = prepare_document(body, ctx)
        except InvalidOperation:  # an amount past Decimal's precision: B1's columns overflow
            raise SLError.of(
                "invalid_value", value="an amount out of range", name="DocTotal"
            ) from None
        doc = prepared.document
        guard_value = doc.get(udf) if udf else None
        if guard_value is not None and guard_value != "":
            self._check_guard(entity_set, guard_value)
        # ---- commit: from here on nothing can fail for a client's reason ----
        entry = self.next_entry[entity_set]
        self.next_entry[entity_set] = entry + 1
        num = self.next_num[entity_set]
        self.next_num[entity_set] = num + 1
        doc["DocEntry"] = entry
        doc["DocNum"] = num
        for line in doc["DocumentLines"]:
            line["DocEntry"] = entry
        self._stamp(doc, created=True)
        self.docs[entity_set][entry] = doc = self.store.compact(entity_set, doc)
        if prepared.gross_lines:
            self.gross[(entity_set, entry)] = prepared.gross_lines
        touched_docs = [(entity_set, entry)]
        for take in prepared.takes:
            touched_docs.append(
                self._take_from_base(take.entity_set, take.doc_entry, take.line_num, take.quantity)
            )
        items = stock.apply(self.md, prepared.deltas)
        if guard_value is not None and guard_value != "":
            self.guard.setdefault(entity_set, {})[str(guard_value)] = entry
        record = TruthRecord(
            entity_set,
            kind.object_type,
            entry,
            num,
            self.clock(),
            request.get("id") if request is not None else None,
            request,
            self.bodies,
        )
        self.truth.append(record)
        if self.commits is not None:
            self._persist(touched_docs, items, record, entity_set, request)
        return doc

    def _commit_payment(
        self,
        entity_set: str,
        doc: dict[str, Any],
        applied: list[tuple[int, Decimal]],
        request: dict[str, Any] | None,
    ) -> dict[str, Any]:
        entry = self.next_entry[entity_set]
        self.next_entry[entity_set] = entry + 1
        num = self.next_num[entity_set]
        self.next_num[entity_set] = num + 1
        doc["DocEntry"], doc["DocNum"] = entry, num
        self._stamp(doc, created=True)
        self.docs[entity_set][entry] = doc = self.store.compact(entity_set, doc)
        touched = [(entity_set, entry)]
        for inv_entry, amount in applied:
            touched.append(self._apply_payment("Invoices", inv_entry, amount))
        udf = self.config.uniqueness_guard_udf
        if udf and doc.get(udf) not in (None, ""):
            self.guard.setdefault(entity_set, {})[str(doc[udf])] = entry
        record = TruthRecord(
            entity_set,
            PAYMENT_KIND.object_type,
            entry,
            num,
            self.clock(),
            (request or {}).get("id"),
            request,
            self.bodies,
        )
        self.truth.append(record)
        self._persist(list(dict.fromkeys(touched)), set(), record, entity_set, request)
        return doc

    def _apply_payment(self, entity_set: str, entry: int, amount: Decimal) -> tuple[str, int]:
        invoice = self.docs[entity_set][entry]
        invoice["PaidToDate"] += amount
        invoice["DocumentStatus"] = (
            "bost_Close" if invoice["PaidToDate"] >= invoice["DocTotal"] else "bost_Open"
        )
        self._stamp(invoice, created=False)
        return entity_set, entry

    def _take_from_base(
        self, entity_set: str, entry: int, line_num: int, qty: Decimal
    ) -> tuple[str, int]:
        """Lower a base line's open quantity; close the line and, when all are, the document."""
        base = self.docs[entity_set][entry]
        for line in base["DocumentLines"]:
            if line["LineNum"] == line_num:
                line["RemainingOpenQuantity"] -= qty
                line["OpenQuantity"] = line["RemainingOpenQuantity"]
                if line["RemainingOpenQuantity"] <= 0:
                    line["LineStatus"] = "bost_Close"
        all_copied = all(ln["LineStatus"] == "bost_Close" for ln in base["DocumentLines"])
        # an invoice stays open until paid, whatever was credited
        if all_copied and (entity_set != "Invoices" or base["PaidToDate"] >= base["DocTotal"]):
            base["DocumentStatus"] = "bost_Close"
        self._stamp(base, created=False)
        return entity_set, entry

    def _give_back(
        self, entity_set: str, entry: int, line_num: int, qty: Decimal
    ) -> tuple[str, int]:
        base = self.docs[entity_set][entry]
        for line in base["DocumentLines"]:
            if line["LineNum"] == line_num:
                line["RemainingOpenQuantity"] += qty
                line["OpenQuantity"] = line["RemainingOpenQuantity"]
                if line["RemainingOpenQuantity"] > 0 and base.get("Cancelled") != "tYES":
                    line["LineStatus"] = "bost_Open"
        if base.get("Cancelled") != "tYES" and any(
            ln["LineStatus"] == "bost_Open" for ln in base["DocumentLines"]
        ):
            base["DocumentStatus"] = "bost_Open"
        self._stamp(base, created=False)
        return entity_set, entry

    def get_document(self, entity_set: str, key: Any) -> dict[str, Any]:
        table = self.docs.get(entity_set)
        if table is None:
            raise SLError.of("resource_not_found", segment=entity_set)
        try:
            doc = table.get(int(key))
        except (TypeError, ValueError):
            doc = None
        if doc is None:
            raise SLError.of("no_matching_records")
        return doc

    async def patch_document(
        self, entity_set: str, key: Any, body: dict[str, Any], *, replace_collections: bool = False
    ) -> None:
        """Partial update (PATCH); lines merged by LineNum unless ``replace_collections``."""
        doc = self.patch_document_now(
            entity_set, key, body, replace_collections=replace_collections
        )
        await self._durable()
        if self.subscribers:
            await self._notify("updated", entity_set, doc)

    def patch_document_now(
        self, entity_set: str, key: Any, body: Any, *, replace_collections: bool = False
    ) -> dict[str, Any]:
        kind = self.kind(entity_set)
        if kind is PAYMENT_KIND:
            raise SLError.of("method_not_allowed", method="PATCH", segment=entity_set)
        doc = self.get_document(entity_set, key)
        entry = doc["DocEntry"]
        ctx = self.build_context(kind)
        plan = prepare_patch(doc, self._gross_of(entity_set, entry), body, ctx, replace_collections)
        new = plan.document
        udf = self.config.uniqueness_guard_udf
        if udf and new.get(udf) != doc.get(udf):
            self._check_guard(entity_set, new.get(udf), own_entry=entry)
        stock.check(self.md, plan.deltas, [], kind.line_table, self.config.allow_negative_stock)
        # ---- commit ----
        for line in new["DocumentLines"]:
            line["DocEntry"] = entry
        self._stamp(new, created=False)
        self.docs[entity_set][entry] = new = self.store.compact(entity_set, new)
        if plan.gross_lines:
            self.gross[(entity_set, entry)] = plan.gross_lines
        else:
            self.gross.pop((entity_set, entry), None)
        if udf and new.get(udf) != doc.get(udf):
            if doc.get(udf) not in (None, ""):
                self.guard.get(entity_set, {}).pop(str(doc[udf]), None)
            if new.get(udf) not in (None, ""):
                self.guard.setdefault(entity_set, {})[str(new[udf])] = entry
        items = stock.apply(self.md, plan.deltas)
        self._persist([(entity_set, entry)], items)
        return new

    async def document_action(self, entity_set: str, key: int, action: str) -> None:
        """``Cancel``, ``Close`` or ``Reopen`` a document (204 on the wire)."""
        doc = self.document_action_now(entity_set, key, action)
        await self._durable()
        if self.subscribers:
            event = {"Cancel": "cancelled", "Close": "closed", "Reopen": "updated"}[action]
            await self._notify(event, entity_set, doc)

    def document_action_now(self, entity_set: str, key: Any, action: str) -> dict[str, Any]:
        kind = self.kind(entity_set)
        if action not in ACTIONS:
            raise SLError.of("resource_not_found", segment=action)
        doc = self.get_document(entity_set, key)
        entry = doc["DocEntry"]
        if kind is PAYMENT_KIND:
            return self._cancel_payment(entity_set, doc, action)
        plan = plan_action(kind, doc, action, self.md, self.config.allow_negative_stock)
        # ---- commit ----
        doc["DocumentStatus"] = plan.status
        if plan.cancelled:
            doc["Cancelled"] = "tYES"
        for line in doc["DocumentLines"]:
            if plan.line_status == "bost_Open":
                if line["RemainingOpenQuantity"] > 0:
                    line["LineStatus"] = "bost_Open"
            elif plan.line_status is not None:
                line["LineStatus"] = plan.line_status
        self._stamp(doc, created=False)
        touched = [(entity_set, entry)]
        for base_set, base_entry, base_line, qty in plan.give_back:
            if base_entry in self.docs.get(base_set, {}):
                touched.append(self._give_back(base_set, base_entry, base_line, qty))
        udf = self.config.uniqueness_guard_udf
        if plan.cancelled and udf and doc.get(udf) not in (None, ""):
            self.guard.get(entity_set, {}).pop(str(doc[udf]), None)
        items = stock.apply(self.md, plan.deltas)
        self._persist(touched, items)
        return doc

    def _cancel_payment(self, entity_set: str, doc: dict[str, Any], action: str) -> dict[str, Any]:
        if action != "Cancel":
            raise SLError.of("method_not_allowed", method="POST", segment=f"{entity_set}/{action}")
        if doc.get("Cancelled") == "tYES":
            raise SLError.of("cannot_cancel")
        doc["Cancelled"] = "tYES"
        self._stamp(doc, created=False)
        touched = [(entity_set, doc["DocEntry"])]
        for pi in doc["PaymentInvoices"]:
            touched.append(self._apply_payment("Invoices", pi["DocEntry"], -pi["SumApplied"]))
        udf = self.config.uniqueness_guard_udf
        if udf and doc.get(udf) not in (None, ""):
            self.guard.get(entity_set, {}).pop(str(doc[udf]), None)
        self._persist(touched)
        return doc

    def get_entity(self, entity_set: str, key: Any) -> dict[str, Any]:
        """One entity by key (DocEntry for documents, code for master data)."""
        if entity_set in MASTER_KEYS:
            row = self.md.table(entity_set).get(str(key))
            if row is None:
                raise SLError.of("no_matching_records")
            return row
        return self.get_document(entity_set, key)

    def list_entities(self, entity_set: str) -> list[dict[str, Any]]:
        if entity_set in MASTER_KEYS:
            return list(self.md.table(entity_set).values())
        table = self.docs.get(entity_set)
        if table is None:
            raise SLError.of("resource_not_found", segment=entity_set)
        return list(table.values())

    async def adjust_stock(
        self, item_code: str, warehouse: str, delta: Decimal, *, reason: str
    ) -> None:
        """A goods receipt (+) or goods issue (−) outside any sales document."""
        if item_code not in self.md.items:
            raise SLError.of("invalid_item", item_code=item_code, table="IGE1", line=1)
        if warehouse not in self.md.warehouses:
            raise SLError.of("invalid_warehouse", warehouse=warehouse, table="IGE1", line=1)
        deltas: stock.Deltas = {(item_code, warehouse): [Decimal(delta), ZERO]}
        lines = [stock.StockLine(item_code, warehouse, abs(Decimal(delta)), -1, 1)]
        stock.check(self.md, deltas, lines, "IGE1", self.config.allow_negative_stock)
        items = stock.apply(self.md, deltas)
        self._persist([], items)
        await self._durable()
        self.log.info(
            "stock_adjusted", item=item_code, warehouse=warehouse, delta=str(delta), reason=reason
        )
        if self.subscribers:
            await self._notify("updated", "Items", self.md.items[item_code])

    # ---- admin -----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget documents, sessions and numbering; master data back to the catalog."""
        self.sessions.drop_all()
        self.journal.clear()
        self._fresh_state()
        if self.persistence is not None:
            if self.commits is not None:
                self.commits.flush()  # nothing queued may land after the wipe
            self.persistence.wipe(self._master_rows())

    async def create_business_partner(
        self, body: Any, *, request: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``POST /BusinessPartners`` (``fakesap.partners``): validate, add to the master
        data (persisted with it), log it; an existing ``CardCode`` is -2035, unchanged."""
        from fakesap.partners import prepare_partner

        series = body.get("Series") if isinstance(body, dict) else None
        counters = self.bp_series
        nxt = counters.get(series, 0) + 1 if isinstance(series, int) else None
        row = prepare_partner(body, self.md, self.udfs.get("OCRD", frozenset()), nxt)
        if isinstance(series, int) and nxt is not None and not body.get("CardCode"):
            counters[series] = nxt
        self.md.business_partners[row["CardCode"]] = row
        if self.persistence is not None:
            if self.commits is not None:
                self.commits.flush()
            self.persistence.commit(master=[("BusinessPartners", row["CardCode"], row)])
        self.log.info(
            "business_partner_created",
            card_type=row.get("CardType"),
            request_id=(request or {}).get("id"),
        )
        return row

    def set_uniqueness_guard(self, udf: str | None) -> None:
        """Switch the SAP-side uniqueness guard (a TransactionNotification that rejects a
        second document with the same ``udf`` value) on, to another UDF, or off (None)."""
        self.config.uniqueness_guard_udf = udf or None
        self._set_udfs()
        self._contexts = {}
        self._rebuild_guard()

    def load_master_data(self, upload: dict[str, Any]) -> dict[str, int]:
        """Replace master data with a catalog (``products`` key) or upsert SL-shaped rows."""
        if "products" in upload:
            try:
                catalog = parse_catalog(upload)
            except (KeyError, TypeError, ValueError) as exc:
                raise SLError.of("invalid_value", name="catalog", value=str(exc)[:60]) from None
            self.catalog = catalog
            self.md = masterdata_from_catalog(catalog)
            self._contexts = {}
            self._set_udfs()
            counts = {es: len(self.md.table(es)) for es in MASTER_SETS}
        else:
            from fakesap.masterdata import MasterDataError

            try:
                counts = upsert_rows(self.md, upload)
            except (MasterDataError, KeyError, TypeError) as exc:
                raise SLError.of("invalid_value", name="master-data", value=str(exc)[:60]) from None
        if self.persistence is not None:
            if self.commits is not None:
                self.commits.flush()
            self.persistence.commit(master=self._master_rows())
        return counts
