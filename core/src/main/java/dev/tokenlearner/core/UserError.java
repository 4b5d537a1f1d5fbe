package dev.tokenlearner.core;

/**
 * Marks the project's exceptions that report a problem in what the user gave — a file, a config
 * key, a checkpoint, an input shape or an option — rather than a bug. Their messages name the file,
 * key, path or shape at fault, so the command line prints them as one line and exits with code 1;
 * every other exception is an internal error.
 */
public interface UserError {}
