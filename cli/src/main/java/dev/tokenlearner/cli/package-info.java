/**
 * The {@code tokenlearner} command-line app: thin picocli commands over the modules' entry points
 * ({@code train}, {@code import}, {@code predict}, {@code inspect}, {@code bench}).
 */
package dev.tokenlearner.cli;
