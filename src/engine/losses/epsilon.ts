/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 − EPSILON] before log. */
export const EPSILON = 1e-7;
