"""Multichannel ingest: one adapter per channel, interaction records, customer identification.

* :mod:`.base`: the adapter interface (``split`` raw input into messages, ``parse`` one into a
  normalised :class:`~.base.Contact`) and its errors; :mod:`.registry`: adapters by name.
* Adapters: :mod:`.emails` (RFC 5322: maildir, mbox, ``.eml``, uploads), :mod:`.calls` (call
  detail records, CSV or JSON), :mod:`.paper` (fax records, the scanned-mail index),
  :mod:`.web` (web forms, web-shop orders, chat transcripts); :mod:`.records` splits JSON and
  CSV inputs, :mod:`.order_lines` reads ``ORDER`` lines in a text.
* :mod:`.identify`: phone numbers in E.164, e-mail addresses, customer numbers in the text;
  identified / ambiguous / prospect.
* :mod:`.ingest`: the shared service (dedup by channel and external id, quarantine, replay),
  :mod:`.storage` its set-based writes, :mod:`.orders` order entry from channels and the reply,
  :mod:`.folders` files, folders and :func:`~.folders.poll_folder`.

``docs/channels.md`` is the user guide. May import: ``kubus.config``, ``kubus.oltp``.
"""
