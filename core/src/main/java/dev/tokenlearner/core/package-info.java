/**
 * The plain Java types every module shares, with no dependencies: {@link
 * dev.tokenlearner.core.HostArray} (a float32 array with its shape, the exchange type of checkpoint
 * readers, graphs and writers), {@link dev.tokenlearner.core.UserError} (the marker of errors the
 * user can fix), {@link dev.tokenlearner.core.InvalidInputException} and {@link
 * dev.tokenlearner.core.MissingFileException}.
 */
package dev.tokenlearner.core;
