"""Each admin's mailbox over IMAP (IMAPClient, blocking: run it in worker threads).

``client`` connects and words every failure plainly; ``sync`` keeps a mailbox's cursors and
stores only mail with live contacts; ``reading`` picks the matching messages out of a folder;
``parse`` turns messages into snippets and attachment lists; ``attachments`` saves a stored
email's attachments as the contact's files.
"""
